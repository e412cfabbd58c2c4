// Prints the cluster client's option table (cluster.* and audit.*) as a
// Markdown table, for the README.
#include <iostream>

#include "cluster/options.h"

int main() {
  std::cout << cairn::cluster::ClusterOptionsMarkdown();
  return 0;
}
