/*
 * kafc-info — prints the kafc library's version and the client
 * configuration it would use for a cluster: a first program against the
 * public API.
 *
 * usage: kafc-info [bootstrap.servers] [prop=value]...
 */
#include <kafc/kafc.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    char errstr[512];
    kafc_conf_t *conf = kafc_conf_new();

    if (!conf) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    if (argc > 1 && kafc_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof(errstr)) !=
                        KAFC_ERR_NONE) {
        fprintf(stderr, "%s\n", errstr);
        kafc_conf_destroy(conf);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        kafc_err_t err;
        if (!eq) {
            fprintf(stderr, "expected prop=value, got \"%s\"\n", argv[i]);
            kafc_conf_destroy(conf);
            return 2;
        }
        *eq = '\0';
        err = kafc_conf_set(conf, argv[i], eq + 1, errstr, sizeof(errstr));
        if (err != KAFC_ERR_NONE) {
            fprintf(stderr, "%s (%s)\n", errstr, kafc_err_name(err));
            kafc_conf_destroy(conf);
            return 1;
        }
    }

    printf("   kafc %s\n", kafc_version_str());
    size_t n = 0;
    const char **kv = kafc_conf_dump(conf, &n);
    const char *show[] = {"bootstrap.servers", "client.id",        "acks",     "enable.idempotence",
                          "linger.ms",         "compression.type", "group.id", "auto.offset.reset"};
    for (size_t s = 0; s < sizeof(show) / sizeof(show[0]); s++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(kv[2 * i], show[s]) == 0)
                printf("   %-20s = %s\n", kv[2 * i], kv[2 * i + 1]);
    kafc_conf_dump_free(kv, n);
    kafc_conf_destroy(conf);
    return 0;
}
