#pragma once
// A command run in the background for tests that kill it, race it against
// another, or read its output while it runs: `sh -c command`, stdout and
// stderr into one file.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace schemac::test {

// For a value in a shell command line.
inline std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

class Process {
 public:
  Process(const std::string& command, std::string output_file) : output_(std::move(output_file)) {
    pid_ = fork();
    if (pid_ == 0) {
      // exec replaces sh, so a signal reaches the command itself.
      const std::string line = "exec " + command + " >" + shell_quote(output_) + " 2>&1";
      execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  ~Process() {
    if (!done_) {
      kill(pid_, SIGKILL);
      wait();
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int sig) { kill(pid_, sig); }

  // The exit code, or 128 + the signal that ended it.
  int wait() {
    if (!done_) {
      int status = 0;
      waitpid(pid_, &status, 0);
      status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      done_ = true;
    }
    return status_;
  }

  std::string output() const {
    std::ifstream in(output_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  // Polls the output until it contains text; false after timeout.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (output().find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  std::string output_;
  bool done_ = false;
  int status_ = -1;
};

}  // namespace schemac::test
