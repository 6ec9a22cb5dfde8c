#pragma once
// Runs a shell command for a test: its exit code (-1 when it did not exit
// normally; a crash of the command inside sh shows as 128 + signal), and its
// standard output in out.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace schemac::test {

inline int run_command(const std::string& command, std::string& out) {
  out.clear();
  FILE* p = popen(command.c_str(), "r");
  if (!p) return -1;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace schemac::test
