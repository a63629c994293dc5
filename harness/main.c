/* tiedseq: the command.  Each subcommand lives in harness/cmd/cmd_*.c and is listed
 * once in harness/commands.def. */
#include "harness/cli.h"
#include "harness/timing/drive.h"

#include <string.h>

static const struct {
    const char *name, *summary;
    int (*fn)(int, char **);
} commands[] = {
#define TS_CMD(name, summary) {#name, summary, ts_cmd_##name},
#include "harness/commands.def"
#undef TS_CMD
};

static void usage(FILE *f)
{
    fprintf(f, "usage: tiedseq COMMAND [options]   (tiedseq COMMAND --help for each)\n\n"
               "TensorFlow 1.x tied_rnn_seq2seq: variants, verification, benchmarks.\n\ncommands:\n");
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        fprintf(f, "  %-8s %s\n", commands[k].name, commands[k].summary);
    fprintf(f, "\nproblem descriptor: cell:bB:iI:hH:eE:dD[:teacher|greedy][:vV][:tT][:fbX]\n"
               "  e.g. lstm:b16:i512:h512:e25:d25:teacher:t2   gru:b3:i5:h37:e7:d7:greedy:v11\n");
}

int main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? TS_EXIT_USAGE : 0;
    }
    /* timing runs pin their threads; libgomp reads the variables when it loads */
    bool help = argc > 2 && !strcmp(argv[2], "--help");
    if (!help && (!strcmp(argv[1], "bench") || !strcmp(argv[1], "sweep")))
        ts_pin_threads_or_reexec(argv);
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (!strcmp(argv[1], commands[k].name))
            return commands[k].fn(argc - 1, argv + 1);
    fprintf(stderr, "tiedseq: unknown command '%s' (try tiedseq --help)\n", argv[1]);
    return TS_EXIT_USAGE;
}
