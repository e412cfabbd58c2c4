// Prints the option table as Markdown, for the README
// (scripts/update_readme_options).
#include <iostream>

#include "engine/options.h"

int main() {
  std::cout << cairn::OptionsMarkdownTable();
  return 0;
}
