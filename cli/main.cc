// gridbench: the command-line client of a gridbench coordinator.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"

int main(int argc, char** argv) {
  gridbench::cli::CliEnvironment env;
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.out_is_terminal = ::isatty(STDOUT_FILENO) == 1;
  std::error_code ec;
  env.self_executable = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  return gridbench::cli::RunCli(std::vector<std::string>(argv + 1, argv + argc), env, std::cout,
                                std::cerr);
}
