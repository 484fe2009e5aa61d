"""A recorded run (:class:`Trajectory`) and the recorder every method uses: loss, ‖θ − θ₀‖,
‖y(t) − ȳ‖, ‖x(t) − x̄‖, step sizes and energy at sampled times, with stored states for
distances to the final point measured afterwards."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._core import Result
from ..io.memory import float_bytes, require_memory
from ..linalg.backend import copy, to_numpy
from .objectives import DIPObjective, ReducedDIPObjective

__all__ = ["Trajectory", "Recorder"]


@dataclass(frozen=True, repr=False)
class Trajectory(Result):
    """A recorded run. Arrays share the index of ``t``; ``steps`` holds the step size used at
    each recorded iteration (nan for ODE integrators), ``energy`` the IGAHD energy or nan.

    ``theta_final`` is the final θ (rebuilt from a reduced state); ``theta_samples`` the stored
    states (θ for ``state="full"``, (Z, b) for ``"reduced"``) at records ``theta_sample_index``,
    and ``final_dist`` their distances ‖θ − θ_final‖ in parameter space."""

    method: str
    t: np.ndarray
    iteration: np.ndarray
    loss: np.ndarray
    theta_dist: np.ndarray
    y_clean_dist: np.ndarray
    x_dist: np.ndarray
    steps: np.ndarray
    energy: np.ndarray
    params: dict
    n_grad: int
    status: str
    theta_final: np.ndarray = field(repr=False, default=None)
    theta_samples: np.ndarray = field(repr=False, default=None)
    theta_sample_index: np.ndarray = field(repr=False, default=None)
    final_dist: np.ndarray = field(repr=False, default=None)
    state: str = "full"
    x_samples: np.ndarray = field(repr=False, default=None)
    #: The iterations of ``x_samples`` when they are not one per record (the torch loop's ``keep_x``).
    x_sample_index: np.ndarray = field(repr=False, default=None)

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        for key in ("theta_final", "theta_samples", "theta_sample_index", "final_dist", "x_samples",
                    "x_sample_index"):
            d.pop(key)
        return d


class Recorder:
    """Collects metrics at the recorded iterations, and the state at every ``keep_theta``-th record
    (0: never) so that distances to the final point can be measured afterwards."""

    def __init__(self, obj: DIPObjective | ReducedDIPObjective, start: np.ndarray, keep_theta: int, records: int,
                 keep_x: bool = False):
        self.obj, self.start, self.keep, self.keep_x = obj, start, int(keep_theta), bool(keep_x)
        self.xs: list[np.ndarray] = []
        if self.keep_x:
            require_memory(float_bytes(records * obj.net.n), f"{records} stored signals x(t) of {obj.net.n} entries")
        if self.keep:
            snapshots = records // self.keep + 2
            size = math.prod(start.shape)
            require_memory(float_bytes(snapshots * size), f"{snapshots} stored snapshots of the state "
                           f"({size} entries each)")
        self.rows: list[tuple] = []
        self.states: list[np.ndarray] = []
        self.kept: list[int] = []

    def __call__(self, it: int, t: float, state: Any, step: float, energy: float = float("nan")):
        """Record iteration ``it``; ``state`` is the objective's own array (on its backend): the
        recorder converts nothing while the run goes on, only once in :meth:`result`."""
        loss, dy, dx = self.obj.metrics(state)
        if self.keep and len(self.rows) % self.keep == 0:
            self.states.append(copy(state))
            self.kept.append(len(self.rows))
        self.rows.append((t, it, loss, self.obj.dist(state, self.start), dy, dx, step, energy))
        if self.keep_x:
            self.xs.append(self.obj.forward(state))

    def result(self, method: str, params: dict, state: np.ndarray, status: str) -> Trajectory:
        cols = np.array(self.rows, dtype=float).T
        state = self.obj.as_state(state)
        final_dist = np.array([self.obj.dist(s, state) for s in self.states]) if self.keep else None
        return Trajectory(method, cols[0], cols[1].astype(int), cols[2], cols[3], cols[4], cols[5], cols[6],
                          cols[7], {**params, "state": self.obj.state_name, **self.obj.backend.describe()},
                          self.obj.n_grad, status, np.array(self.obj.theta(state), copy=True),
                          np.array([to_numpy(s) for s in self.states]) if self.keep else None,
                          np.array(self.kept, dtype=int) if self.keep else None, final_dist, self.obj.state_name,
                          np.array([np.asarray(to_numpy(x), dtype=float).ravel() for x in self.xs])
                          if self.keep_x else None)
