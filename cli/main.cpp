// cli/main.cpp - the `sigkit` tool; all the work is in the sigkit_cli library.
#include <iostream>

#include "sigkit_cli/commands.hpp"

int main(int argc, char** argv) { return sigkit::cli::run_app(argc, argv, std::cout, std::cerr); }
