// SwiftPM links an executable with `main` defined as `<Target>_main` (so tests can link it),
// which keeps libFuzzer's own main out; this one hands the run to libFuzzer's driver.
#include <stddef.h>
#include <stdint.h>
#include "driver.h"

extern int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*cb)(const uint8_t *, size_t));

int TraceFuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
