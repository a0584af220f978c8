"""Students' own formulas: hostile input is refused quickly and explained, valid input gives
the same kind of Objective as the catalogue (derivatives, LaTeX), non-real regions diverge."""

from __future__ import annotations

import pathlib
import sys
import time
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optviz as ov
from optviz import formula as ex
from optviz.formula import ExpressionError, cache, from_expression, tree
from optviz.formula import worker as worker_module

SLOW = "*".join(f"sin(x+{i}*y+{i})" for i in range(1, 22))  # ~20 s for SymPy: Hessian size


@pytest.fixture(scope="module", autouse=True)
def _worker_started():
    """Start the helper process once (about a second), so timings measure formulas only."""
    from_expression("x + y")


def rejected(text, match=None, limit=5.0):
    """Assert ``text`` is refused with an ExpressionError within ``limit`` seconds."""
    start = time.perf_counter()
    with pytest.raises(ExpressionError, match=match) as info:
        from_expression(text)
    elapsed = time.perf_counter() - start
    assert elapsed < limit, f"{text!r} took {elapsed:.1f} s"
    return str(info.value)


# ---------------------------------------------------------------------------
# The error type
# ---------------------------------------------------------------------------


def test_error_type_is_exported_value_error():
    assert ov.ExpressionError is ExpressionError
    assert issubclass(ExpressionError, ValueError)
    assert "ExpressionError" in ov.__all__
    assert ov.formula.from_expression is from_expression
    assert not hasattr(ov.objectives, "from_expression")  # objectives knows no formulas


# ---------------------------------------------------------------------------
# Hostile input: code injection
# ---------------------------------------------------------------------------

INJECTIONS = [
    "().__class__.__mro__[1].__subclasses__()",
    "x.__class__",
    "x.__class__.__base__",
    "__builtins__",
    "__import__('os').system('touch {marker}')",
    '__import__("os").system("touch {marker}")',
    "exec(\"open('{marker}', 'w').close()\")",
    "eval(\"open('{marker}', 'w').close()\")",
    "open('{marker}', 'w')",
    "exec",
    "eval(x)",
    "open(x)",
    "getattr(x, 'real')",
    "globals()",
    "breakpoint()",
    "lambda: open('{marker}', 'w')",
    "(lambda: 1)()",
    "[open('{marker}', 'w') for _ in 'a']",
    "[x for x in y]",
    "sum(x for x in (1, 2))",
    "{{x: y}}",
    "{{x}}",
    "'abc'",
    "b'abc'",
    "f'{{x}}'",
    "sin(x=1)",
    "sin(*x)",
    "sin(*(x,))",
    "sin(**x)",
    "x.real",
    "sin.__call__(x)",
    "x[0]",
    "(y := 3)",
    "x if y else 1",
    "x and y",
    "not x",
    "x < y",
    "x == y",
    "x is y",
    "x in y",
    "import os",
    "x; __import__('os')",
    "x\n__import__('os').system('touch {marker}')",
    "x # comment",
    "\\x",
    "x % 2",
    "x // 2",
    "x @ y",
    "~x",
    "x | y",
    "x & y",
    "x << 2",
    "1j",
    "3 + 4j*x",
    "True",
    "None",
    "...",
    "pow(x, 2)",
    "Sin(x)",
    "math.sin(x)",
    "np.sin(x)",
    "sp.sin(x)",
    "sympy",
    "os.system",
    "ｓｉｎ(x)",  # full-width letters that Python would NFKC-normalise to sin
    "ℯ**x",  # a letter Python would normalise to e
    "𝐞𝐱𝐞𝐜(x)",
]


@pytest.mark.parametrize("template", INJECTIONS)
def test_code_injection_is_refused_and_nothing_runs(template, tmp_path):
    marker = tmp_path / "MARKER"
    text = template.format(marker=marker)
    rejected(text)
    assert not marker.exists()


# The same constructs written as plain Python reach the allow-list walk directly
# (the character layer before it would already refuse most of them): it must refuse them
# by itself too.
PYTHON_ONLY = [
    "().__class__.__mro__[1].__subclasses__()",
    "x.__class__",
    "__import__('os').system('touch MARKER')",
    "__builtins__",
    "exec('1')",
    "eval('1')",
    "open('f')",
    "print(x)",
    "sin.__globals__",
    "lambda: 1",
    "[x for x in y]",
    "{x for x in y}",
    "{x: 1 for x in y}",
    "(x for x in y)",
    "'s'",
    "b's'",
    "f'{x}'",
    "sin(x=1)",
    "sin(*x)",
    "sin(**x)",
    "x[0]",
    "x[1:2]",
    "(y := 3)",
    "x if y else 1",
    "x and y",
    "x or y",
    "not x",
    "~x",
    "x < y",
    "x ^ y",  # bitwise xor in Python (formulas turn ^ into ** before parsing)
    "x // y",
    "x % y",
    "x @ y",
    "x << y",
    "1j",
    "True",
    "None",
    "...",
    "(x, y)",
    "[x]",
    "{x}",
    "{x: y}",
    "await x",
    "_x",
    "__name__",
    "sin(x)(y)",
    "(sin)",
    "atan2(x)",
    "sin(x, y)",
    "sin()",
]


@pytest.mark.parametrize("source", PYTHON_ONLY)
def test_the_allow_list_walk_refuses_python_constructs_by_itself(source):
    with pytest.raises(ExpressionError):
        tree._parse_python(source)


def test_the_allow_list_walk_accepts_the_formula_language():
    for source in ["x**2 + y**2", "sin(x)*cos(y)", "-x + +y", "atan2(y, x)", "pi*e", "3", "0.5"]:
        tree._parse_python(source)


def test_no_text_ever_reaches_sympify_or_parse_expr(monkeypatch):
    import sympy.parsing.sympy_parser as parser

    real_sympify = sp.sympify

    def strict_sympify(a, *args, **kwargs):
        assert not isinstance(a, str), "text handed to sympify"
        return real_sympify(a, *args, **kwargs)

    def no_parse_expr(*_args, **_kwargs):
        raise AssertionError("parse_expr called")

    monkeypatch.setattr(sp, "sympify", strict_sympify)
    monkeypatch.setattr(parser, "parse_expr", no_parse_expr)
    monkeypatch.setattr(worker_module, "USE_WORKER", False)  # build in this process, where we watch
    ex.clear_cache()
    obj = from_expression("x^2*sin(y) + sqrt(1 + x^2) - atan2(y, 1 + x^2)")
    assert obj.latex
    ex.clear_cache()


def test_a_formula_is_differentiated_once(monkeypatch):
    calls = []
    real_diff = sp.diff

    def counting_diff(*args, **kwargs):
        calls.append(args)
        return real_diff(*args, **kwargs)

    monkeypatch.setattr(sp, "diff", counting_diff)
    monkeypatch.setattr(worker_module, "USE_WORKER", False)  # build in this process, where we count
    ex.clear_cache()
    obj = from_expression("x^3*sin(y) + abs(x - y)")
    assert len(calls) == 6  # f_x, f_y and the four second derivatives, for checks and code
    assert obj.hessian(np.array([0.5, 2.0])).shape == (2, 2)
    ex.clear_cache()


# ---------------------------------------------------------------------------
# Hostile input: things meant to hang or to blow up
# ---------------------------------------------------------------------------

HANGS = [
    ("9**9**9", "exponent"),
    ("9^9^9", "exponent"),
    ("x**(9**9**9)", "exponent"),
    ("2**10**100", "exponent"),
    ("x^1000000", "exponent"),
    ("x^101", "exponent"),
    ("2^(10^12)", "exponent"),
    ("(10^12)^100", "too large"),
    ("((x^10)^10)^100", "nested too high"),
    ("x^x^x^x", "power towers"),
    ("(x^y)^(x^y)", "power towers"),
    ("2^2^x", "power towers"),
    ("e^(e^x)", "power towers"),
    ("x^exp(y)", "power towers"),
    ("exp(exp(exp(exp(x))))", "nested too deeply"),
    ("exp(exp(exp(x)))", "nested too deeply"),
    ("exp(exp(x^y))", "nested too deeply"),
    ("sin(exp(exp(exp(3))))*x", "nested too deeply"),
    ("exp(1000)", "too large"),
    ("sinh(1e12)*x", "too large"),
    ("1e999", "too large"),
    ("1e308*10*x", "too large"),
    ("123456789012345*x", "too large"),
    ("(" * 500 + "x" + ")" * 500, "too long"),
    ("-" * 1000 + "x", "too long"),
    ("x+" * 200 + "x", "too long"),
    ("x" * 10_000, "too long"),
    ("-" * 250 + "x", "nested too deeply"),
    ("(" * 60 + "x" + ")" * 60 + "+" + "sin(" * 35 + "x" + ")" * 35, "nested too deeply"),
    ("(" * 201 + "x", "nested"),
    ("+".join(["x"] * 101), "too many parts"),
    ("1/0", "division by zero"),
    ("x/(1-1)", "division by zero"),
    ("0^-1", "division by zero"),
    ("log(0)", "not a real number"),
    ("log(-1)*x", "not a real number"),
    ("sqrt(-1)", "not a real number"),
    ("(-8)^(1/3)", "not a real number"),
    ("asin(2)", "not a real number"),
    ("tan(pi/2)*x", "undefined"),
    ("atan2(0, 0)", "undefined"),
    ("(-2)^x", "negative number to a power containing x or y"),
    ("0^(x*y)", "0 to a power containing x or y"),
    ("(0*x)^y", "cannot be differentiated"),
]


@pytest.mark.parametrize(("text", "match"), HANGS)
def test_inputs_meant_to_hang_are_refused_quickly(text, match):
    rejected(text, match=match)


@pytest.mark.parametrize(
    ("text", "point", "value"),
    [
        ("abs(log(y)) + x", (1.0, np.e), 2.0),  # |u| of a u SymPy cannot tell is real
        ("atan2(1, tan(e))*x", (1.0, 0.0), np.arctan2(1, np.tan(np.e))),  # SymPy: -I*log(…)
        ("abs(sin(2))*x", (1.0, 0.0), abs(np.sin(2))),
    ],
)
def test_awkward_but_real_formulas(text, point, value):
    obj = from_expression(text)
    assert obj.value(np.array(point)) == pytest.approx(value, rel=1e-14)
    assert np.isfinite(obj.grad(np.array(point))).all()
    assert np.isfinite(obj.hessian(np.array(point))).all()


def test_long_flat_sums_are_not_deep():
    obj = from_expression("+".join(["x"] * 90))  # 179 characters, one level of nesting
    assert obj.value(np.array([1.0, 0.0])) == 90.0


@pytest.mark.parametrize(
    "text", ["exp(exp(x))", "exp(x^y)", "x^(y^2)", "e^(-(x^2+y^2))", "2^3^2*x", "(x^10)^100"]
)
def test_allowed_exponentials_and_powers(text):
    obj = from_expression(text)
    assert obj.grad(np.array([0.5, 0.5])).shape == (2,)


def test_slow_formula_times_out_and_the_refusal_is_cached(monkeypatch):
    monkeypatch.setattr(worker_module, "TIMEOUT_SECONDS", 1.0)
    ex.warm_up()
    msg = rejected(SLOW, match="takes too long", limit=20.0)  # limit includes a cold start
    assert msg == "this formula takes too long to process — simplify it"
    rejected(SLOW, match="takes too long", limit=0.5)  # cached: no second wait
    monkeypatch.setattr(cache, "RETRY_AFTER_SECONDS", 0.0)
    rejected(SLOW + " ", match="takes too long", limit=20.0)
    before = ex.cache_info().misses
    rejected(SLOW + " ", match="takes too long", limit=20.0)  # expired: tried again
    assert ex.cache_info().misses == before + 1
    # the worker was replaced, and the next formula works
    assert from_expression("x*y + 1").value(np.array([2.0, 3.0])) == 7.0


def test_timeout_with_a_tiny_limit(monkeypatch):
    monkeypatch.setattr(worker_module, "TIMEOUT_SECONDS", 1e-4)
    rejected("x^3 + y^3 + 0.125*x*y", match="takes too long", limit=20.0)
    monkeypatch.setattr(worker_module, "TIMEOUT_SECONDS", 3.0)
    ex.clear_cache()
    assert from_expression("x^3 + y^3 + 0.125*x*y").latex


def test_without_a_worker_formulas_are_built_in_process(monkeypatch):
    worker = worker_module._Worker()
    worker.command = lambda: [sys.executable, "-c", "import sys; sys.exit(3)"]
    monkeypatch.setattr(worker_module, "_WORKER", worker)
    ex.clear_cache()
    obj = from_expression("x^2 - x*y + 4")
    assert worker.unavailable
    assert obj.value(np.array([1.0, 1.0])) == 4.0
    ex.clear_cache()


def test_the_worker_process_imports_this_copy_of_optviz():
    command = worker_module._Worker().command()
    boot, root = command[command.index("-c") + 1], command[-1]
    assert "from optviz.formula.worker import _worker_main" in boot
    assert pathlib.Path(root, "optviz", "formula", "worker.py").samefile(worker_module.__file__)


def test_a_worker_that_dies_gives_an_error_not_a_hang(monkeypatch):
    worker = worker_module._Worker()
    script = (
        "import sys, json; print(json.dumps({'ready': True}), flush=True); sys.stdin.readline()"
    )
    worker.command = lambda: [sys.executable, "-c", script]
    monkeypatch.setattr(worker_module, "_WORKER", worker)
    ex.clear_cache()
    rejected("x^2 + 2*y^2", match="too complex to process")
    worker.stop()
    ex.clear_cache()


# ---------------------------------------------------------------------------
# Characters, empty input, unknown names, syntax errors: the messages
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "\u202ex^2",  # right-to-left override
        "x\u202e + y",
        "x\u2066 + y",  # left-to-right isolate
        "x\x00",
        "\x1b[31mx",
        "x\u200b+y",  # zero-width space
        "\ufeffx",  # byte-order mark
        "x\x7f",
        "x\x0c",
    ],
)
def test_control_and_bidi_characters(text):
    msg = rejected(text, match="invisible control character")
    assert "U+" in msg


def test_line_breaks_are_explained():
    assert "one line" in rejected("x +\ny")


@pytest.mark.parametrize("text", ["", " ", "   \t  ", "\u00a0"])
def test_empty_input(text):
    rejected(text, match="the formula is empty")


def test_too_long():
    msg = rejected("x+" * 150 + "y")
    assert msg.startswith("the formula is too long (max 300 characters")


def test_unknown_names():
    msg = rejected("x + z")
    assert "unknown name 'z'" in msg and "use x and y" in msg and "character 5" in msg
    assert "x*y" in rejected("xy")
    assert "write x" in rejected("X + y")
    assert "sin(x)" in rejected("sinx")
    assert "did you mean sin" in rejected("Sin(x)")
    assert "unknown function 'foo'" in rejected("foo(x)")
    assert "'x' is not a function" in rejected("x(y + 1)")
    assert "'sin' is a function" in rejected("sin + x")


def test_syntax_errors_say_where():
    msg = rejected("x y")
    assert "missing operator between 'x' and 'y' at character 3" in msg and "x*y" in msg
    assert "write 2*x" in rejected("2x + y")
    assert "write sin(x)" in rejected("sin x")
    assert "write 2*(…)" in rejected("2(x+1)")
    assert "missing operator before the '(' at character 6" in rejected("(x+1)(x-1)")
    assert "'(' at character 1 is never closed" in rejected("(x + y")
    assert "')' at character 6 has no matching '('" in rejected("x + y)")
    assert "ends too early" in rejected("x^")
    assert "'^' is allowed and means power" in rejected("x^^2")
    assert "'^' at character 9" in rejected("x^2 + y^^2")  # '^' counts as one character
    assert "comparisons" in rejected("x < y")
    assert "right-hand side" in rejected("f = x^2")
    assert "'^' (power" in rejected("x $ y")
    assert "x^2" in rejected("x²")
    assert "U+FF58" in rejected("ｘ")


def test_error_positions():
    with pytest.raises(ExpressionError) as info:
        from_expression("x^2 + q")
    assert info.value.position == 6
    with pytest.raises(ExpressionError) as info:
        from_expression("x + y > 2")
    assert info.value.position == 6
    with pytest.raises(ExpressionError) as info:
        from_expression("x^2 + 1/0")
    assert info.value.position == 6


def test_pasted_maths_characters():
    obj = from_expression("π·x − 2×y ÷ 4\u00a0")
    assert obj.value(np.array([1.0, 2.0])) == pytest.approx(np.pi - 1.0)


# ---------------------------------------------------------------------------
# Valid formulas
# ---------------------------------------------------------------------------

VALID = [
    ("x^2 + y^2", lambda x, y: x**2 + y**2),
    ("x**4 + y**2", lambda x, y: x**4 + y**2),
    ("sin(x)*cos(y)", lambda x, y: np.sin(x) * np.cos(y)),
    ("exp(-(x^2+y^2))", lambda x, y: np.exp(-(x**2 + y**2))),
    ("sqrt(x^2+y^2+1)", lambda x, y: np.sqrt(x**2 + y**2 + 1)),
    ("pi*x + e*y", lambda x, y: np.pi * x + np.e * y),
    ("3", lambda x, _y: 3.0 + 0 * x),
    ("2*x + 3*y", lambda x, y: 2 * x + 3 * y),
    ("abs(x) + y^2", lambda x, y: np.abs(x) + y**2),
    ("log(1 + x^2 + y^2)", lambda x, y: np.log(1 + x**2 + y**2)),
    ("(1-x)^2 + 100*(y - x^2)^2", lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2),
    (
        "tanh(x) - atan2(y, 2) + ln(2 + cos(y))",
        lambda x, y: np.tanh(x) - np.arctan2(y, 2) + np.log(2 + np.cos(y)),
    ),
    ("x^0.5 + y/3", lambda x, y: np.sqrt(x) + y / 3),
]


def central_grad(f, pts, h=1e-6):
    out = np.empty_like(pts)
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        out[:, k] = (f(pts + e) - f(pts - e)) / (2 * h)
    return out


@pytest.mark.parametrize(("text", "reference"), VALID)
def test_valid_formulas_values_gradients_hessians(text, reference):
    obj = from_expression(text)
    assert isinstance(obj, ov.Objective)
    rng = np.random.default_rng(7)
    pts = rng.uniform(0.1, 1.9, (40, 2)) * rng.choice([-1, 1], (40, 2))
    if "x^0.5" in text:
        pts = np.abs(pts)
    np.testing.assert_allclose(obj.value(pts), reference(pts[:, 0], pts[:, 1]), rtol=1e-12)
    g = obj.grad(pts)
    np.testing.assert_allclose(g, central_grad(obj.value, pts), rtol=1e-5, atol=1e-6)
    h = obj.hessian(pts)
    num_h = np.stack([central_grad(lambda p, k=k: obj.grad(p)[:, k], pts) for k in range(2)], 1)
    np.testing.assert_allclose(h, num_h, rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(h, np.swapaxes(h, -1, -2))
    if obj.scalar_grad is not None:  # the float path: the array path's bits exactly
        for x, y in pts[:5]:
            np.testing.assert_array_equal(obj.scalar_grad(x, y), obj.grad(np.array([x, y])))


def test_rosenbrock_matches_the_catalogue():
    mine = from_expression("(1-x)^2 + 100*(y - x^2)^2")
    ref = ov.objectives.get("rosenbrock")
    pts = np.random.default_rng(1).uniform(-2, 2, (100, 2))
    np.testing.assert_allclose(mine.value(pts), ref.value(pts), rtol=1e-13)
    np.testing.assert_allclose(mine.grad(pts), ref.grad(pts), rtol=1e-13)
    np.testing.assert_allclose(mine.hessian(pts), ref.hessian(pts), rtol=1e-13)
    assert sp.simplify(mine.expr - ref.expr) == 0


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("x^2 + y^2", "x^{2} + y^{2}"),
        ("x**2+y**2", "x^{2} + y^{2}"),
        ("sin(x)*cos(y)", r"\sin{\left(x \right)} \cos{\left(y \right)}"),
        ("pi*x + e*y", r"\pi x + e y"),
        ("sqrt(x^2+y^2+1)", r"\sqrt{x^{2} + y^{2} + 1}"),
        ("exp(-(x^2+y^2))", "e^{- x^{2} - y^{2}}"),
        ("abs(x) + y^2", r"y^{2} + \left|{x}\right|"),
        ("3", "3"),
        ("2*x + 3*y", "2 x + 3 y"),
    ],
)
def test_latex(text, latex):
    assert from_expression(text).latex == latex


def test_metadata_and_defaults():
    obj = from_expression("  x^2 + y^2 ")
    assert obj.name == "custom"
    assert obj.display_name == "f(x, y) = x^2 + y^2"
    assert obj.lesson == "Your own function."
    assert obj.minima == () and obj.f_min is None
    assert obj.log_scale is True and obj.noise == 0.0  # log levels where its values span decades
    assert obj.bounds == ((-3.0, 3.0), (-3.0, 3.0))
    (x0, x1), (y0, y1) = obj.bounds
    assert x0 < obj.start[0] < x1 and y0 < obj.start[1] < y1
    other = from_expression("x^2 + y^2", bounds=((0, 10), (-1, 1)), start=(5, 0.5), name="bowl")
    assert other.name == "bowl" and other.bounds == ((0.0, 10.0), (-1.0, 1.0))
    assert other.start == (5.0, 0.5)


def test_default_start_avoids_where_the_function_is_not_real():
    obj = from_expression("log(x) + y^2")  # the usual default (-1.8, 1.8) is not real
    assert obj.start[0] > 0
    assert np.isfinite(obj.value(np.array(obj.start)))


def test_function_without_a_real_value_in_the_window():
    rejected("log(x - 10)", match="no finite real value")
    obj = from_expression("log(x - 10)", bounds=((11, 20), (-1, 1)))
    assert np.isfinite(obj.value(np.array(obj.start)))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"bounds": ((-1, 1),)}, r"\(\(xmin, xmax\), \(ymin, ymax\)\)"),
        ({"bounds": "abc"}, "xmin, xmax"),
        ({"bounds": ((-1, "1"), (0, 1))}, "two numbers"),
        ({"bounds": ((-1, np.inf), (0, 1))}, "finite"),
        ({"bounds": ((0, 1), (np.nan, 1))}, "finite"),
        ({"bounds": ((1, -1), (0, 1))}, "xmin < xmax"),
        ({"bounds": ((-1e308, 1e308), (0, 1))}, "within"),
        ({"bounds": ((0, 1), (2, 2))}, "ymin < ymax"),
        ({"start": (np.nan, 0)}, "two finite numbers"),
        ({"start": (0, np.inf)}, "two finite numbers"),
        ({"start": (0,)}, "start"),
        ({"start": "ab"}, "start"),
        ({"start": 3}, "start"),
        ({"name": 3}, "name"),
    ],
)
def test_bad_bounds_and_start(kwargs, match):
    with pytest.raises(ExpressionError, match=match):
        from_expression("x^2 + y^2", **kwargs)


def test_formula_must_be_text():
    for bad in [None, 3, b"x^2", ["x"]]:
        with pytest.raises(ExpressionError, match="must be text"):
            from_expression(bad)


# ---------------------------------------------------------------------------
# Numerics: not real, not finite
# ---------------------------------------------------------------------------


def test_constant_and_linear_give_full_shapes():
    pts = np.zeros((4, 3, 2))
    for text in ["3", "2*x + 3*y"]:
        obj = from_expression(text)
        assert obj.value(pts).shape == (4, 3)
        assert obj.grad(pts).shape == (4, 3, 2)
        assert obj.hessian(pts).shape == (4, 3, 2, 2)
    np.testing.assert_array_equal(from_expression("2*x + 3*y").grad(pts)[..., 1], 3.0)
    np.testing.assert_array_equal(from_expression("3").value(pts), 3.0)


def test_non_real_values_are_nan_or_inf_without_warnings():
    bad = np.array([[-1.0, 0.0], [0.0, 0.0], [1e300, 1e300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for text in [
            "log(x)",
            "sqrt(x)",
            "1/x + y",
            "x^y",
            "exp(x*y)",
            "asin(x)",
            "atan2(y, x)",
            "abs(x)",
        ]:
            obj = from_expression(text)
            v, g, h = obj.value(bad), obj.grad(bad), obj.hessian(bad)
            assert v.shape == (3,) and g.shape == (3, 2) and h.shape == (3, 2, 2)
        assert np.isnan(from_expression("log(x)").value(bad[:1]))[0]
        assert from_expression("log(x)").value(bad[1]) == -np.inf
        assert np.isnan(from_expression("sqrt(x)").value(bad[0]))


@pytest.mark.parametrize(
    ("text", "x0"),
    [
        ("log(x)", (0.5, 0.0)),
        ("sqrt(x) + y^2", (0.5, 0.5)),
        ("asin(x) + y^2", (0.5, 0.0)),
        ("x^0.3 + y^2", (0.5, 0.0)),  # Python floats go complex here: (-8.9)**-0.7
        ("x^y + y^2", (0.5, 0.5)),
    ],
)
def test_runner_marks_paths_into_non_real_regions_as_diverged(text, x0):
    obj = from_expression(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = ov.run(obj, ov.optimizers.sgd(lr=1.0), x0, 50)
        batch = ov.run(obj, ov.optimizers.sgd(lr=1.0), np.array([x0] * 12), 50)
    assert traj.diverged_at >= 0
    assert np.all(batch.diverged_at == traj.diverged_at)


def test_huge_exact_numbers_do_not_raise():
    # SymPy multiplies the factors out to exact numbers beyond any float, which NumPy
    # would refuse with OverflowError: they become floats (here inf and 0)
    obj = from_expression("x + exp(-10^100*y^2*10^100*10^100*10^100) + (x/10^12)^100")
    pts = np.array([[1.0, 1.0], [2.0, 0.5]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(obj.value(pts), [1.0, 2.0])
        np.testing.assert_array_equal(obj.grad(pts)[:, 0], [1.0, 1.0])
        assert obj.hessian(pts).shape == (2, 2, 2)


# ---------------------------------------------------------------------------
# The cache
# ---------------------------------------------------------------------------


def test_a_repeated_formula_comes_from_the_cache():
    ex.clear_cache()
    text = "x^2 + 3*sin(y) - 0.25*x*y"
    start = time.perf_counter()
    first = from_expression(text)
    cold = time.perf_counter() - start
    before = ex.cache_info()
    start = time.perf_counter()
    second = from_expression(text)
    warm = time.perf_counter() - start
    after = ex.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses
    assert second.value is first.value and second.expr is first.expr
    assert warm < cold / 5


# ---------------------------------------------------------------------------
# Random text: only ExpressionError ever escapes
# ---------------------------------------------------------------------------

FORMULA_ALPHABET = "xyzepis0123456789.+-*/^() ,abcglnqrt_[]=<'\"\\\u202e\u00a0π"

random_text = st.one_of(
    st.text(alphabet=FORMULA_ALPHABET, max_size=40),
    st.text(max_size=40),
    st.lists(
        st.sampled_from(
            [
                "x",
                "y",
                "e",
                "pi",
                "2",
                "0.5",
                "+",
                "-",
                "*",
                "/",
                "^",
                "**",
                "(",
                ")",
                "sin(",
                "exp(",
                "log(",
                "sqrt(",
                "atan2(",
                ",",
                " ",
                "abs(",
                "1e3",
                "0",
            ]
        ),
        max_size=25,
    ).map("".join),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=random_text)
def test_random_text_only_ever_raises_expression_error(text):
    try:
        obj = from_expression(text)
    except ExpressionError as err:
        assert str(err)
    else:
        assert isinstance(obj, ov.Objective)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            obj.value(np.array([0.3, -0.7]))
            obj.grad(np.array([[0.3, -0.7], [1.1, 2.0]]))
