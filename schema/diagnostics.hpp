#pragma once
// Errors a schema author can act on: where (file:line:col), what, and how to fix it.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schemac {

struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;

  std::string str() const;
  auto operator<=>(const SourcePos&) const = default;
};

// Past this many, render() only counts the rest: a file of 100,000 mistakes
// gets a readable report, in time linear in its size.
inline constexpr std::size_t kMaxPrintedErrors = 100;

struct Diagnostic {
  SourcePos pos;
  std::string message;
  std::string help;  // what to write instead; may be empty
};

class Diagnostics {
 public:
  void error(const SourcePos& pos, std::string message, std::string help = {});
  void add_source(const std::string& file, std::string text);

  bool empty() const { return errors_.empty(); }
  std::size_t size() const { return errors_.size(); }
  // Sorted by position so output is stable whatever order checks ran in.
  std::vector<Diagnostic> sorted() const;
  // "file:line:col: error: message", the source line with a caret, "help: ...":
  // the first kMaxPrintedErrors in position order, then how many more there are.
  std::string render() const;

 private:
  std::vector<Diagnostic> errors_;
  std::map<std::string, std::string> sources_;
};

// The closest candidate within a small edit distance, for "did you mean".
std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates);
// "did you mean 'x'?" or empty.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace schemac
