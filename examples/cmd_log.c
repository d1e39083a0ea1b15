/* STUB by the lead: replaced by its owner. */
#include "cli.h"
#include <stdio.h>
int cli_cmd_log(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "bounce log: not implemented yet\n");
    return CLI_USAGE;
}
