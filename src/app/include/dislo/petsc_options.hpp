#pragma once
// The PETSc options a run was given: those in effect (recorded with the run, so that it
// can be repeated) and those nothing read (reported, with the closest known option).

#include <string>
#include <vector>

namespace dislo {

// Every option in PETSc's database, as given on the command line ("-ts_type rk ..."),
// in PETSc's order; empty when there are none.
std::string petsc_options_in_effect();

// One line per option that nothing read (PETSc's -options_left bookkeeping), with the
// closest option dislo's solvers read when one is within two edits ("did you mean").
std::vector<std::string> unused_petsc_options();

// Insertions, deletions and substitutions that turn a into b.
std::size_t edit_distance(const std::string& a, const std::string& b);

}  // namespace dislo
