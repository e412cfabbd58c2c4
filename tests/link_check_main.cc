// Linked with one of the engine's lower libraries as a whole archive (see
// tests/CMakeLists.txt): the link succeeds only if every object of that
// library resolves its symbols from the libraries it declares, none from
// the layers above it.
int main() { return 0; }
