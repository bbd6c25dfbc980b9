#pragma once
// Internal to the app layer. PETSc log stages, one per phase of a run, so that -log_view
// shows where a run's time goes.

#include <petscsys.h>

namespace dislo {

// PETSc log stages, one per phase, so that -log_view shows where a run's time goes.
struct Stages {
  PetscLogStage mf = 0, mfeps = 0, sde = 0, rw = 0, exact2 = 0, output = 0;
  static const Stages& get() {
    static const Stages stages = [] {
      Stages st;
      PetscLogStageRegister("dislo MF", &st.mf);
      PetscLogStageRegister("dislo MFeps", &st.mfeps);
      PetscLogStageRegister("dislo SDE ensemble", &st.sde);
      PetscLogStageRegister("dislo RW ensemble", &st.rw);
      PetscLogStageRegister("dislo exact2", &st.exact2);
      PetscLogStageRegister("dislo output", &st.output);
      return st;
    }();
    return stages;
  }
};
class StageScope {
 public:
  explicit StageScope(PetscLogStage stage) { PetscLogStagePush(stage); }
  ~StageScope() { PetscLogStagePop(); }
  StageScope(const StageScope&) = delete;
  StageScope& operator=(const StageScope&) = delete;
};

}  // namespace dislo
