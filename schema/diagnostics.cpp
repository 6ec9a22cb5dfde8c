#include "schema/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace schemac {

std::string SourcePos::str() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

void Diagnostics::error(const SourcePos& pos, std::string message, std::string help) {
  errors_.push_back({pos, std::move(message), std::move(help)});
}

void Diagnostics::add_source(const std::string& file, std::string text) {
  sources_[file] = std::move(text);
}

std::vector<Diagnostic> Diagnostics::sorted() const {
  auto out = errors_;
  std::stable_sort(out.begin(), out.end(), [](const Diagnostic& a, const Diagnostic& b) { return a.pos < b.pos; });
  return out;
}

namespace {

// Where each line of a file starts, found once per file rather than once per error.
class LineIndex {
 public:
  explicit LineIndex(const std::string& text) : text_(text) {
    starts_.push_back(0);
    for (std::size_t i = text.find('\n'); i != std::string::npos; i = text.find('\n', i + 1)) starts_.push_back(i + 1);
  }

  std::optional<std::string> line(int number) const {
    if (number < 1 || static_cast<std::size_t>(number) > starts_.size()) return std::nullopt;
    const auto start = starts_[static_cast<std::size_t>(number - 1)];
    const auto end = text_.find('\n', start);
    std::string out = text_.substr(start, end == std::string::npos ? std::string::npos : end - start);
    // Never echo control bytes (binary input) back to the terminal.
    for (char& c : out)
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t') c = '?';
    return out;
  }

 private:
  const std::string& text_;
  std::vector<std::size_t> starts_;
};

}  // namespace

std::string Diagnostics::render() const {
  std::string out;
  std::map<std::string, LineIndex> lines;
  const auto all = sorted();
  for (std::size_t i = 0; i < all.size() && i < kMaxPrintedErrors; ++i) {
    const auto& d = all[i];
    out += fmt::format("{}: error: {}\n", d.pos.str(), d.message);
    auto src = sources_.find(d.pos.file);
    if (src != sources_.end() && d.pos.line > 0) {
      auto index = lines.try_emplace(d.pos.file, src->second).first;
      if (auto text = index->second.line(d.pos.line); text && text->size() < 300) {
        auto gutter = std::to_string(d.pos.line);
        out += fmt::format(" {} | {}\n", gutter, *text);
        out += fmt::format(" {} | {}^\n", std::string(gutter.size(), ' '),
                           std::string(static_cast<std::size_t>(std::max(0, d.pos.column - 1)), ' '));
      }
    }
    if (!d.help.empty()) out += fmt::format("  help: {}\n", d.help);
  }
  if (all.size() > kMaxPrintedErrors) {
    const auto more = all.size() - kMaxPrintedErrors;
    out += fmt::format("and {} more error{}\n", more, more == 1 ? "" : "s");
  }
  if (!errors_.empty())
    out += fmt::format("{} error{} found; nothing was sent to the database\n", errors_.size(),
                       errors_.size() == 1 ? "" : "s");
  return out;
}

namespace {
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}
}  // namespace

std::optional<std::string> closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
  for (const auto& c : candidates) {
    // A prefix is a likely slip too: "created" for "created_at".
    if (word.size() >= 3 && (c.rfind(word, 0) == 0 || word.rfind(c, 0) == 0) && c != word) return c;
  }
  for (const auto& c : candidates) {
    auto d = edit_distance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  if (auto m = closest_match(word, candidates)) return fmt::format("did you mean '{}'?", *m);
  return {};
}

}  // namespace schemac
