// Prints an option table of the cluster layer as Markdown, for the README
// (scripts/update_readme_options):
//   cairn_cluster_options_doc               the cluster client's (cluster.*,
//                                           audit.*)
//   cairn_cluster_options_doc coordination  a standby node's coordination.*
#include <cstring>
#include <iostream>

#include "cluster/coordination_options.h"
#include "cluster/options.h"

int main(int argc, char** argv) {
  if (argc == 1) {
    std::cout << cairn::cluster::ClusterOptionsMarkdown();
    return 0;
  }
  if (argc == 2 && std::strcmp(argv[1], "coordination") == 0) {
    std::cout << cairn::MarkdownTableIn(
        cairn::cluster::CoordinationOptionTable());
    return 0;
  }
  std::cerr << "usage: cairn_cluster_options_doc [coordination]\n";
  return 2;
}
