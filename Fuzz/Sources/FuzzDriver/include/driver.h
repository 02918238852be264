int TraceFuzz_main(int argc, char **argv);
