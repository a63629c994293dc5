/* Peers: TensorFlow and PyTorch as members of tiedseq's timing rounds
 * (docs/peers.md).  A peer is a ts_variant whose plan lives in a long-running
 * Python worker (scripts/peers/worker.py): prepare hands the worker the weights
 * in a shared file and has it build the model; run copies the inputs into the
 * file, asks the worker for one forward pass over a socket and copies the
 * outputs back, so the harness verifies a peer exactly as a variant; run_timed
 * asks for N passes that the worker times itself, so the socket's round trip is
 * not part of the time.
 *
 * Peers are not in ts_variants[] (list, verify's default, the default sweep
 * and the tests iterate that); they run only when named (--variants tensorflow,
 * --peers pytorch).  A peer whose interpreter or package is missing is
 * unsupported with the reason, like a variant on a CPU without its ISA. */
#ifndef TS_PEER_H
#define TS_PEER_H
#include "variants/variant.h"

extern const ts_variant *const ts_peers[];
extern const size_t ts_peer_count;

/* The peer of that name, or NULL (ts_variant_find also finds peers). */
const ts_variant *ts_peer_find(const char *name);
bool ts_variant_is_peer(const ts_variant *v);

#endif
