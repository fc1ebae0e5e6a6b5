/*
 * kafc-conf-doc — prints CONFIGURATION.md, the reference of every
 * configuration property, from the property table (src/conf_props.c).
 * scripts/gen writes its output to the repository root, and the
 * gen.up_to_date test checks the committed file against it.
 *
 * Usage: kafc-conf-doc > CONFIGURATION.md
 */
#include <stdio.h>

#include "conf.h"

int main(int argc, char **argv)
{
    if (argc > 1) {
        fprintf(stderr, "usage: %s > CONFIGURATION.md\n", argv[0]);
        return 2;
    }
    kafc__conf_doc_markdown(stdout);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        perror("kafc-conf-doc: write");
        return 1;
    }
    return 0;
}
