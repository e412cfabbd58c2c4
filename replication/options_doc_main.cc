// Prints the engine's, replication's and the node's option tables as one Markdown table, for the README
// (scripts/update_readme_options).
#include <iostream>

#include "engine/options.h"
#include "replication/options.h"

int main() {
  std::cout << cairn::OptionsMarkdownTable()
            << cairn::MarkdownRowsIn(
                   cairn::replication::ReplicationOptionTable())
            << cairn::MarkdownRowsIn(cairn::replication::ServeOptionTable());
  return 0;
}
