#include "schema/nesting_guard.hpp"

#include <fmt/format.h>

namespace schemac {

namespace {

// One pass over the bytes. Outside strings and comments a key is a chain of
// parts (bare words or strings) joined by dots, blanks allowed around them;
// anything else ends the chain. Counting chains everywhere, values included,
// is safe: outside keys no valid TOML has more than two dotted parts (1.5).
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  std::optional<NestingError> run() {
    while (!error_ && i_ < text_.size()) {
      const char c = text_[i_];
      if (c == '"' || c == '\'') {
        part();
        skip_string(c);
      } else if (c == '#') {
        end_chain();
        while (i_ < text_.size() && text_[i_] != '\n') advance();
      } else if (c == '.') {
        dot();
        advance();
      } else if (c == ' ' || c == '\t') {
        advance();
      } else if (c == '[' || c == '{') {
        end_chain();
        if (++depth_ > kMaxValueNesting)
          fail(line_, column_,
               fmt::format("arrays and inline tables are nested more than {} levels deep here", kMaxValueNesting),
               "a declaration needs 3 levels at most, as in indexes = { by_name = { columns = [\"name\"] } }; "
               "flatten this value");
        advance();
      } else if (c == ']' || c == '}') {
        end_chain();
        if (depth_ > 0) --depth_;
        advance();
      } else if (bare(c)) {
        part();
        while (i_ < text_.size() && bare(text_[i_])) advance();
      } else {
        end_chain();
        advance();
      }
    }
    end_chain();
    return error_;
  }

 private:
  std::string_view text_;
  std::size_t i_ = 0;
  int line_ = 1, column_ = 1;
  int depth_ = 0;
  int parts_ = 0;  // parts of the current key chain; 0 outside one
  bool after_dot_ = false;
  int chain_line_ = 0, chain_column_ = 0;
  std::optional<NestingError> error_;

  // Wider than TOML's bare keys (A-Z a-z 0-9 _ -) on purpose: whatever toml++
  // might take for a key part is counted as one.
  static bool bare(char c) { return std::string_view(" \t\n\r.=,#[]{}\"'").find(c) == std::string_view::npos; }

  void advance() {
    if (text_[i_] == '\n') {
      ++line_;
      column_ = 1;
    } else if (i_ + 1 >= text_.size() || (static_cast<unsigned char>(text_[i_ + 1]) & 0xC0) != 0x80) {
      ++column_;  // UTF-8 continuation bytes belong to the character before them
    }
    ++i_;
  }
  bool at(std::string_view s) const { return text_.substr(i_, s.size()) == s; }

  void fail(int line, int column, std::string message, std::string help) {
    error_ = NestingError{line, column, std::move(message), std::move(help)};
  }

  void part() {
    if (parts_ > 0 && after_dot_) {
      ++parts_;
      after_dot_ = false;
      return;
    }
    end_chain();
    parts_ = 1;
    chain_line_ = line_;
    chain_column_ = column_;
  }
  void dot() {
    if (parts_ > 0 && !after_dot_)
      after_dot_ = true;
    else
      end_chain();
  }
  void end_chain() {
    if (parts_ > kMaxKeyParts && !error_)
      fail(chain_line_, chain_column_,
           fmt::format("this key has {} dotted parts; schemac accepts at most {}", parts_, kMaxKeyParts),
           "a declaration needs 4 at most, as in tables.orders.columns.id");
    parts_ = 0;
    after_dot_ = false;
  }

  // From the opening quote to after the closing one. A single-line string
  // stops at the end of its line, where toml++ reports it unterminated.
  void skip_string(char quote) {
    const std::string triple(3, quote);
    const bool basic = quote == '"';
    if (at(triple)) {
      for (int k = 0; k < 3; ++k) advance();
      while (i_ < text_.size()) {
        if (basic && text_[i_] == '\\' && i_ + 1 < text_.size()) {
          advance();
          advance();
        } else if (at(triple)) {
          for (int k = 0; k < 3; ++k) advance();
          // Up to two more quotes belong to the content: """a""""" is a"".
          for (int k = 0; k < 2 && i_ < text_.size() && text_[i_] == quote; ++k) advance();
          return;
        } else {
          advance();
        }
      }
      return;
    }
    advance();
    while (i_ < text_.size() && text_[i_] != '\n') {
      if (basic && text_[i_] == '\\' && i_ + 1 < text_.size() && text_[i_ + 1] != '\n') {
        advance();
        advance();
      } else if (text_[i_] == quote) {
        advance();
        return;
      } else {
        advance();
      }
    }
  }
};

}  // namespace

std::optional<NestingError> check_nesting(std::string_view text) {
  return Scanner(text).run();
}

}  // namespace schemac
