/* A program outside the kafc tree, built against the INSTALLED library via
 * pkg-config or find_package(kafc). It exercises the public API a little and
 * exits 0 only if everything answers as documented. */
#include <kafc/kafc.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    char errstr[256];
    char val[64];
    size_t sz = sizeof(val);

    if (kafc_version() != KAFC_VERSION_NUM) {
        fprintf(stderr, "header/library version mismatch: %x vs %x\n", kafc_version(),
                KAFC_VERSION_NUM);
        return 1;
    }
    kafc_conf_t *conf = kafc_conf_new();
    if (!conf)
        return 1;
    if (kafc_conf_set(conf, "linger.ms", "7", errstr, sizeof(errstr)) != KAFC_ERR_NONE)
        return 1;
    if (kafc_conf_get(conf, "linger.ms", val, &sz) != KAFC_ERR_NONE || strcmp(val, "7") != 0)
        return 1;
    if (kafc_conf_set(conf, "no.such.property", "1", errstr, sizeof(errstr)) !=
            KAFC_ERR__UNKNOWN_CONFIG ||
        !strstr(errstr, "no.such.property"))
        return 1;
    kafc_conf_destroy(conf);
    printf("kafc %s OK (%s)\n", kafc_version_str(), kafc_err_name(KAFC_ERR_OFFSET_OUT_OF_RANGE));
    return 0;
}
