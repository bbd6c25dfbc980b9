# Writes OUTPUT, a source defining dislo::git_revision(), from the git checkout at SOURCE:
# the commit (12 hex digits) with "-dirty" when tracked files differ from it, or "unknown"
# outside a checkout. Run at every build (not at configure time, which goes stale); the
# file is rewritten only when the revision changes, so nothing recompiles otherwise.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SOURCE}
                OUTPUT_VARIABLE revision OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE failed ERROR_QUIET)
if(failed OR NOT revision)
  set(revision "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SOURCE}
                  OUTPUT_VARIABLE changes RESULT_VARIABLE failed ERROR_QUIET)
  if(failed)
    set(revision "${revision}-unknown-state")
  elseif(changes)
    set(revision "${revision}-dirty")
  endif()
endif()
set(text "#include \"dislo/version.hpp\"\n\nnamespace dislo {\nconst char* git_revision() { return \"${revision}\"; }\n}  // namespace dislo\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT old STREQUAL text)
  file(WRITE ${OUTPUT} "${text}")
endif()
