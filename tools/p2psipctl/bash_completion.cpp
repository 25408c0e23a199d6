#include "bash_completion.hpp"

#include <sstream>

#include "cli_arguments.hpp"
#include "control/standard_methods.hpp"

namespace p2psip::ctl {

namespace {

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
  return out;
}

// Values worth offering for one parameter; empty when free-form.
std::vector<std::string> candidate_values(const control::param_schema& param) {
  if (!param.one_of.empty()) return param.one_of;
  if (param.type == control::value_type::boolean) return {"true", "false"};
  if (param.name == "topics") {
    std::vector<std::string> topics;
    // events.lost reaches every subscriber anyway; it is no topic to ask for.
    for (const auto topic : control::standard_event_topics()) {
      if (topic != "events.lost") topics.emplace_back(topic);
    }
    return topics;
  }
  return {};
}

// One case pattern per method, matching its name and its aliases, each
// followed by `suffix`.
std::string method_pattern(const std::string& method, const std::string& suffix = "") {
  std::string pattern = method + suffix;
  for (const auto& entry : method_aliases()) {
    if (entry.method == method) pattern += "|" + std::string(entry.alias) + suffix;
  }
  return pattern;
}

}  // namespace

std::string render_bash_completion(const control::schema_catalog& catalog) {
  std::vector<std::string> commands{"help", "wait"};
  for (const auto& [name, schema] : catalog.methods()) commands.push_back(name);
  for (const auto& entry : method_aliases()) commands.emplace_back(entry.alias);

  std::ostringstream keys_by_method;
  std::ostringstream values_by_key;
  for (const auto& [name, schema] : catalog.methods()) {
    std::vector<std::string> keys;
    for (const auto& param : schema.params) {
      keys.push_back(param.name + "=");
      const auto values = candidate_values(param);
      if (!values.empty()) {
        values_by_key << "      " << method_pattern(name, ":" + param.name) << ") values=\""
                      << joined(values) << "\" ;;\n";
      }
    }
    if (name == "metrics.get") keys.emplace_back("--prometheus");
    keys_by_method << "      " << method_pattern(name) << ") keys=\"" << joined(keys) << "\" ;;\n";
  }

  std::ostringstream script;
  script << "# bash completion for p2psipctl(1); generated from the control method schemas.\n"
         << "_p2psipctl() {\n"
         << "  # Words are split on blanks only, so key=value stays one word whatever\n"
         << "  # COMP_WORDBREAKS says.\n"
         << "  local line=\"${COMP_LINE:0:COMP_POINT}\"\n"
         << "  local cur=\"${line##*[[:space:]]}\"\n"
         << "  local -a words\n"
         << "  read -r -a words <<< \"${line:0:${#line}-${#cur}}\"\n"
         << "  local prev=\"${words[${#words[@]}-1]}\"\n"
         << "  COMPREPLY=()\n"
         << "  case \"$prev\" in\n"
         << "    --socket) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
         << "    --timeout) return ;;\n"
         << "    --completion) COMPREPLY=($(compgen -W \"bash\" -- \"$cur\")); return ;;\n"
         << "  esac\n"
         << "  local method=\"\" i\n"
         << "  for ((i = 1; i < ${#words[@]}; i++)); do\n"
         << "    case \"${words[i]}\" in\n"
         << "      --socket|--timeout|--completion) ((i++)) ;;\n"
         << "      -*) ;;\n"
         << "      *) method=\"${words[i]}\"; break ;;\n"
         << "    esac\n"
         << "  done\n"
         << "  if [[ -z $method ]]; then\n"
         << "    COMPREPLY=($(compgen -W \"--socket --json --timeout --help --version "
            "--completion "
         << joined(commands) << "\" -- \"$cur\"))\n"
         << "    return\n"
         << "  fi\n"
         << "  case \"$method\" in\n"
         << "    help) COMPREPLY=($(compgen -W \"" << joined(commands)
         << "\" -- \"$cur\")); return ;;\n"
         << "    wait) COMPREPLY=($(compgen -W \"joined --timeout\" -- \"$cur\")); return ;;\n"
         << "  esac\n"
         << "  if [[ $cur == *=* ]]; then\n"
         << "    local key=\"${cur%%=*}\" value=\"${cur#*=}\" values=\"\"\n"
         << "    case \"$method:$key\" in\n"
         << values_by_key.str() << "    esac\n"
         << "    # Where = breaks words, bash replaces only the part after it.\n"
         << "    if [[ $COMP_WORDBREAKS == *=* ]]; then\n"
         << "      COMPREPLY=($(compgen -W \"$values\" -- \"$value\"))\n"
         << "    else\n"
         << "      COMPREPLY=($(compgen -P \"$key=\" -W \"$values\" -- \"$value\"))\n"
         << "    fi\n"
         << "    return\n"
         << "  fi\n"
         << "  local keys=\"\"\n"
         << "  case \"$method\" in\n"
         << keys_by_method.str() << "  esac\n"
         << "  COMPREPLY=($(compgen -W \"$keys --json --socket --timeout\" -- \"$cur\"))\n"
         << "  [[ ${COMPREPLY[0]} == *= ]] && compopt -o nospace 2>/dev/null\n"
         << "  return 0\n"
         << "}\n"
         << "complete -F _p2psipctl p2psipctl\n";
  return script.str();
}

}  // namespace p2psip::ctl
