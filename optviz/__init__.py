"""optviz — watch SGD, momentum, ADAGRAD, ADADELTA, RMSprop and Adam move on 2-D functions.

The core (everything outside :mod:`optviz.ui`) is a plain NumPy/SymPy library::

    import optviz as ov
    traj = ov.run(ov.objectives.get("rosenbrock"),
                  ov.optimizers.adadelta(rho=0.95, eps=1e-6),
                  x0=(-1.5, 2.0), steps=200)
    traj.positions, traj.effective_lr, traj.states.sq_grad_avg

What the app, a link and a lesson run is one value, ``ov.scene.Scene(objective=…, start=…,
optimizers=…, hyperparams=…)``: ``scene.runs()`` runs it (cached).

A student's own formula becomes the same kind of objective with
``ov.formula.from_expression("x^2 + 3*sin(y)")`` (see :mod:`optviz.formula`).
"""

from . import formula, objectives, optimizers, scene
from .formula import ExpressionError
from .objectives import Objective
from .optimizers import Optimizer
from .runner import Trajectory, run
from .sweeps import SweepResult, sweep

__all__ = [
    "ExpressionError",
    "Objective",
    "Optimizer",
    "SweepResult",
    "Trajectory",
    "formula",
    "objectives",
    "optimizers",
    "run",
    "scene",
    "sweep",
]
__version__ = "0.1.0"
