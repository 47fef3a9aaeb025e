"""Resource limits of a sandbox, as declared in an assignment's manifest."""

from __future__ import annotations

import resource

from pydantic import BaseModel, ConfigDict, Field


class Limits(BaseModel):
    """Every limit is enforced from outside the student's process (see docs/security.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    import_timeout_s: float = Field(10.0, gt=0, description="importing the student's modules")
    call_timeout_s: float = Field(10.0, gt=0, description="one call into the student's code")
    submission_timeout_s: float = Field(120.0, gt=0, description="all tests of one submission")
    memory_mb: int = Field(4096, ge=1024, description="address space of each sandboxed process")
    max_processes: int = Field(64, ge=8, description="processes + threads of the sandbox uid")
    output_kb: int = Field(1024, ge=1, description="stdout+stderr before the sandbox is killed")
    keep_output_kb: int = Field(16, ge=1, description="stdout+stderr kept for the feedback")
    file_size_mb: int = Field(16, ge=1, description="largest file the student may write")
    tmp_mb: int = Field(64, ge=8, description="size of the private /tmp")
    max_return_mb: int = Field(256, ge=1, description="largest value the sandbox may send back")
    open_files: int = Field(256, ge=32, description="file descriptors per process")

    def rlimits(self, *, cap_processes: bool) -> dict[str, int]:
        """The rlimits of the sandboxed process, by `resource` constant name."""
        limits = {
            "RLIMIT_AS": self.memory_mb << 20,
            "RLIMIT_FSIZE": self.file_size_mb << 20,
            "RLIMIT_NOFILE": self.open_files,
            "RLIMIT_CORE": 0,
            "RLIMIT_CPU": int(self.submission_timeout_s) + 30,
        }
        if cap_processes:
            limits["RLIMIT_NPROC"] = self.max_processes
        # Never ask for more than the grader itself may have (a hard limit cannot be raised).
        for name, value in list(limits.items()):
            hard = resource.getrlimit(getattr(resource, name))[1]
            if hard != resource.RLIM_INFINITY:
                limits[name] = min(value, hard)
        return limits
