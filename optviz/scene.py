"""The robustness demos' change of f and of the units of x, written once: :class:`Transform`.

A transform multiplies f by 10^k (``scale_exp`` k) and measures x in units s times smaller
(``stretch`` s: the optimizer sees f'(x', y) = 10^k f(x'/s, y) with x' = s·x). Runs happen in
the optimizer's coordinates (x', y), from the start (s·x₀, y₀), with the gradient noise σ
scaled like f (σ·10^k); figures draw them in the plot's coordinates (x, y), on the scaled
but unstretched contour, so that paths before and after compare on one picture. Every part
of optviz that applies the demos (the app's runs, ghost paths and sweeps, the lessons, the
step inspector's "optimizer's units") goes through this class.

The transformed objective records the transform as fields (``Objective.scale``,
``Objective.stretch``), never in its name, and a trajectory mapped to the plot's coordinates
says so (``Trajectory.in_plot_coordinates``): nothing is guessed back from strings or values.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .objectives import Objective
from .optimizers import Optimizer
from .runner import Trajectory, run

__all__ = ["Transform"]


@dataclass(frozen=True)
class Transform:
    """f × 10^``scale_exp``, and x measured in units ``stretch`` times smaller (x' = s·x)."""

    scale_exp: int = 0
    stretch: float = 1.0

    def __post_init__(self) -> None:
        if isinstance(self.scale_exp, bool) or not isinstance(self.scale_exp, (int, np.integer)):
            raise ValueError(f"scale exponent must be a whole number, got {self.scale_exp!r}")
        if not (math.isfinite(self.stretch) and self.stretch > 0):
            raise ValueError(f"stretch = {self.stretch!r} must be a positive finite number")

    @property
    def factor(self) -> float:
        """What f (and the gradient noise σ) is multiplied by: 10^k."""
        return 10.0**self.scale_exp

    def objective(self, base: Objective) -> Objective:
        """The function the optimizer sees: ``base`` scaled by 10^k, in stretched x'."""
        return _transformed(base, int(self.scale_exp), float(self.stretch))

    def plot_objective(self, base: Objective) -> Objective:
        """The function the figure draws: scaled, in the plot's (unstretched) x."""
        return _transformed(base, int(self.scale_exp), 1.0)

    def noise(self, sigma: float) -> float:
        """The gradient-noise σ of the run: σ × 10^k (noise is in the units of f's gradient)."""
        return float(sigma) * self.factor

    def to_run(self, point: Any) -> tuple[float, float]:
        """A point of the plot, (x, y), in the optimizer's coordinates: (s·x, y)."""
        return (float(point[0]) * self.stretch, float(point[1]))

    def plot_positions(self, positions: np.ndarray) -> np.ndarray:
        """Positions in the optimizer's coordinates (x', y), as the plot's (x'/s, y) (a copy)."""
        out = np.array(positions, dtype=np.float64)
        if self.stretch != 1.0:
            out[..., 0] /= self.stretch
        return out

    def to_plot(self, traj: Trajectory) -> Trajectory:
        """``traj`` (run in the optimizer's coordinates) with its positions in the plot's;
        its gradients, updates, states and objective stay the optimizer's."""
        if traj.in_plot_coordinates or self.stretch == 1.0:
            return dataclasses.replace(traj, in_plot_coordinates=True)
        return dataclasses.replace(
            traj, positions=self.plot_positions(traj.positions), in_plot_coordinates=True
        )

    def to_optimizer(self, traj: Trajectory) -> Trajectory:
        """``traj`` with its positions in the optimizer's own coordinates (x' = s·x) again,
        where the rest of it (gradients, updates, state) is."""
        if not traj.in_plot_coordinates:
            return traj
        positions = np.array(traj.positions, dtype=np.float64)
        if self.stretch != 1.0:
            positions[..., 0] *= self.stretch
        return dataclasses.replace(traj, positions=positions, in_plot_coordinates=False)

    def run(
        self,
        base: Objective,
        optimizer: Optimizer,
        start: Any,
        steps: int,
        *,
        seed: int = 0,
        noise: float = 0.0,
    ) -> Trajectory:
        """``optimizer`` on ``base`` under this transform, from ``start`` (plot
        coordinates; one point or a batch), its positions returned in the plot's
        coordinates (see the module docstring)."""
        starts = np.array(start, dtype=np.float64)
        if self.stretch != 1.0:
            starts[..., 0] *= self.stretch
        traj = run(
            self.objective(base),
            optimizer,
            starts,
            steps,
            seed=seed,
            noise=self.noise(noise),
        )
        return self.to_plot(traj)


@functools.lru_cache(maxsize=64)
def _transformed(base: Objective, scale_exp: int, stretch: float) -> Objective:
    obj = base
    if scale_exp:
        obj = obj.scaled(10.0**scale_exp)
    if stretch != 1.0:
        obj = obj.stretched(stretch)
    return obj


def stretch_of(traj: Trajectory) -> float:
    """The stretch of the objective ``traj`` ran on (1 for none)."""
    return float(traj.objective.stretch)


def run_positions(traj: Trajectory) -> np.ndarray:
    """``traj``'s positions in the coordinates of ``traj.objective`` (where reruns start),
    whichever coordinates it holds them in."""
    return Transform(stretch=stretch_of(traj)).to_optimizer(traj).positions


def plot_positions(traj: Trajectory) -> np.ndarray:
    """``traj``'s positions in the plot's coordinates (where paths are drawn and compared)."""
    return Transform(stretch=stretch_of(traj)).to_plot(traj).positions
