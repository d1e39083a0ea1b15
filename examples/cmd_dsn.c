/* STUB by the lead: replaced by its owner. */
#include "cli.h"
#include <stdio.h>
int cli_cmd_dsn(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "bounce dsn: not implemented yet\n");
    return CLI_USAGE;
}
