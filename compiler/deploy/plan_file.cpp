#include "compiler/deploy/plan_file.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "compiler/deploy/plan_signature.hpp"
#include "compiler/hash.hpp"

namespace schemac {

using nlohmann::json;

namespace {

json step_json(const Step& s) {
  return {{"phase", static_cast<int>(s.phase)},
          {"table", s.table},
          {"summary", s.summary},
          {"sql", s.sql},
          {"lock", s.lock},
          {"transactional", s.transactional},
          {"locks_existing", s.locks_existing},
          {"group", s.group},
          {"hazards", s.hazards},
          {"on_failure", s.on_failure},
          {"validates", s.validates},
          {"creates_role", s.creates_role},
          {"drops_kind", s.drops_kind},
          {"drops_name", s.drops_name},
          {"source",
           {{"file", s.origin.pos.file},
            {"line", s.origin.pos.line},
            {"column", s.origin.pos.column},
            {"flag", s.origin.flag}}}};
}

Step step_from(const json& j) {
  Step s;
  s.phase = static_cast<Phase>(j.at("phase").get<int>());
  s.table = j.at("table").get<std::string>();
  s.summary = j.at("summary").get<std::string>();
  s.sql = j.at("sql").get<std::string>();
  s.lock = j.at("lock").get<std::string>();
  s.transactional = j.at("transactional").get<bool>();
  s.locks_existing = j.at("locks_existing").get<bool>();
  s.group = j.at("group").get<int>();
  s.hazards = j.at("hazards").get<std::vector<std::string>>();
  s.on_failure = j.at("on_failure").get<std::string>();
  s.validates = j.at("validates").get<std::string>();
  s.creates_role = j.at("creates_role").get<std::string>();
  s.drops_kind = j.value("drops_kind", std::string());
  s.drops_name = j.value("drops_name", std::string());
  const auto& src = j.at("source");
  s.origin.pos = {src.at("file").get<std::string>(), src.at("line").get<int>(), src.at("column").get<int>()};
  s.origin.flag = src.at("flag").get<std::string>();
  return s;
}

// Everything of the plan but its steps, with "steps": [].
json plan_frame(const Plan& plan) {
  return {{"steps", json::array()},
          {"unmanaged_tables", plan.unmanaged_tables},
          {"unmanaged_objects", plan.unmanaged_objects},
          {"search_path", plan.search_path},
          {"lock_timeout", plan.lock_timeout},
          {"retries", plan.retries}};
}

json plan_json(const Plan& plan) {
  json out = plan_frame(plan);
  auto& steps = out["steps"];
  for (const auto& s : plan.steps) steps.push_back(step_json(s));
  return out;
}

std::vector<QualifiedName> names_from(const json& j) {
  std::vector<QualifiedName> out;
  for (const auto& n : j) out.push_back({n.at(0).get<std::string>(), n.at(1).get<std::string>()});
  return out;
}

// Without the key anyone can recompute the checksum; with it, only a holder of
// the key can have written the signature.
void check_signature(const std::string& path, const std::string& text, const std::optional<json>& signature,
                     const std::string& key) {
  if (!signature)
    throw PlanFileError(fmt::format(
        "{}: the plan is not signed, but {} is set; nothing was executed. Make the plan with schemac plan --out in "
        "a job that has the same {}",
        path, plan_signature::kKeyVariable, plan_signature::kKeyVariable));
  if (!signature->is_string() || !plan_signature::verify(text, signature->get<std::string>(), key))
    throw PlanFileError(fmt::format(
        "{}: the plan's signature does not match {} (it was signed with another key, or changed by someone who "
        "does not have the key); nothing was executed. Make the plan with schemac plan --out in a job that has the "
        "same {}",
        path, plan_signature::kKeyVariable, plan_signature::kKeyVariable));
}

}  // namespace

std::set<std::string> touched_tables(const Plan& plan) {
  std::set<std::string> out;
  for (const auto& s : plan.steps)
    if (!s.table.empty()) out.insert(s.table);
  return out;
}

std::string plan_fingerprint(const Plan& plan, const ObjectHashes& before) {
  // The hash of plan_json(plan).dump() + json(before).dump(), fed a step at a
  // time: the whole plan as one JSON tree was most of apply's peak memory
  // (40,000 steps at 2,000 tables). The frame's compact dump has its steps
  // as "steps":[] (a string value cannot hold that unescaped).
  const auto frame = plan_frame(plan).dump();
  const std::string empty_steps = "\"steps\":[]";
  const auto at = frame.find(empty_steps) + empty_steps.size() - 1;  // just before the ']'
  TextHash h;
  h.add(std::string_view(frame).substr(0, at));
  for (std::size_t i = 0; i < plan.steps.size(); ++i) {
    if (i) h.add(",");
    h.add(step_json(plan.steps[i]).dump());
  }
  h.add(std::string_view(frame).substr(at));
  h.add(json(before).dump());
  return h.hex();
}

namespace {

// key -> [schema, table, text]
json declarations_json(const std::map<std::string, DeclarationText>& declarations) {
  json out = json::object();
  for (const auto& [key, d] : declarations) out[key] = {d.table.schema, d.table.name, d.text};
  return out;
}

std::map<std::string, DeclarationText> declarations_from(const json& j) {
  std::map<std::string, DeclarationText> out;
  for (const auto& [key, d] : j.items())
    out[key] = {{d.at(0).get<std::string>(), d.at(1).get<std::string>()}, d.at(2).get<std::string>()};
  return out;
}

}  // namespace

std::string write_saved_plan(const SavedPlan& saved, const std::string& key) {
  json functions = json::array();
  for (const auto& f : saved.scope.functions) functions.push_back({f.schema, f.name});
  json body = {{"format_version", kPlanFormatVersion},
               {"schemac_version", saved.schemac_version},
               {"database", {{"name", saved.database}, {"system_identifier", saved.system_identifier}}},
               {"scope", {{"schemas", saved.scope.schemas}, {"functions", functions}}},
               {"fingerprint", plan_fingerprint(saved.plan, saved.before)},
               {"objects_before", saved.before},
               {"objects_after", saved.after},
               {"normalized_forms", saved.normalized_forms},
               {"declarations", declarations_json(saved.declarations)},
               {"plan", plan_json(saved.plan)}};
  // The checksum covers the body as written: an edited or truncated file is
  // refused. The signature covers the same text, under a key an editor lacks.
  const auto text = body.dump();
  body["checksum"] = hash_text(text);
  if (!key.empty()) body["signature"] = plan_signature::sign(text, key);
  return body.dump(2) + "\n";
}

SavedPlan read_saved_plan(const std::string& path, const std::string& key) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw PlanFileError(fmt::format("{}: cannot read the plan file", path));
  std::stringstream text;
  text << in.rdbuf();
  json body;
  try {
    body = json::parse(text.str());
  } catch (const json::exception& e) {
    throw PlanFileError(fmt::format(
        "{}: not a complete schemac plan (it may have been cut short): {}; write it again with schemac plan --out",
        path, e.what()));
  }
  try {
    if (!body.is_object() || !body.contains("format_version"))
      throw PlanFileError(fmt::format("{}: not a schemac plan file (no format_version)", path));
    if (body.at("format_version") != kPlanFormatVersion)
      throw PlanFileError(fmt::format("{}: plan format version {} is not the one this schemac reads ({})", path,
                                      body.at("format_version").dump(), kPlanFormatVersion));
    const auto checksum = body.value("checksum", std::string());
    const auto signature = body.contains("signature") ? std::optional(body.at("signature")) : std::nullopt;
    body.erase("checksum");
    body.erase("signature");
    const auto signed_text = body.dump();
    if (checksum != hash_text(signed_text))
      throw PlanFileError(fmt::format(
          "{}: the plan was changed after schemac wrote it (checksum mismatch); make a new one with schemac plan "
          "--out instead of editing it",
          path));
    if (!key.empty()) check_signature(path, signed_text, signature, key);
    SavedPlan saved;
    saved.schemac_version = body.at("schemac_version").get<std::string>();
    saved.database = body.at("database").at("name").get<std::string>();
    saved.system_identifier = body.at("database").at("system_identifier").get<std::string>();
    saved.scope.schemas = body.at("scope").at("schemas").get<std::vector<std::string>>();
    saved.scope.functions = names_from(body.at("scope").at("functions"));
    saved.before = body.at("objects_before").get<ObjectHashes>();
    saved.after = body.at("objects_after").get<ObjectHashes>();
    // Files written before the record existed have none: apply records nothing.
    saved.normalized_forms = body.value("normalized_forms", std::map<std::string, std::string>{});
    if (body.contains("declarations")) saved.declarations = declarations_from(body.at("declarations"));
    const auto& p = body.at("plan");
    for (const auto& s : p.at("steps")) saved.plan.steps.push_back(step_from(s));
    saved.plan.unmanaged_tables = p.at("unmanaged_tables").get<std::vector<std::string>>();
    saved.plan.unmanaged_objects = p.value("unmanaged_objects", std::vector<std::string>{});
    saved.plan.search_path = p.at("search_path").get<std::vector<std::string>>();
    saved.plan.lock_timeout = p.at("lock_timeout").get<std::string>();
    saved.plan.retries = p.at("retries").get<int>();
    return saved;
  } catch (const json::exception& e) {
    throw PlanFileError(fmt::format("{}: not a schemac plan file: {}", path, e.what()));
  }
}

std::pair<std::string, std::string> database_identity(Db& db) {
  auto name = db.scalar("SELECT current_database()").value_or("");
  std::string system;
  try {
    system = db.scalar("SELECT system_identifier::text FROM pg_control_system()").value_or("");
  } catch (const std::exception&) {
    // Not every role may read the control file; the database name still counts.
  }
  return {name, system};
}

}  // namespace schemac
