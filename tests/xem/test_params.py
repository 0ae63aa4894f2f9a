"""Tool parameters can neither add arguments nor leave the workspace; shell syntax stays inert text."""

from __future__ import annotations

import os

import pytest

from xem.agent import ParamSpec, build_argv, input_schema
from xem.agent._params import check_template
from xem.errors import ConfigError, ParameterRefused

PARAMS = {
    "msg": ParamSpec(type="string"),
    "path": ParamSpec(type="path", required=False, default="."),
    "count": ParamSpec(type="integer", minimum=1, maximum=10, required=False),
    "mode": ParamSpec(type="enum", choices=("fast", "slow"), required=False),
}
ARGV = ["tool", "--msg={msg}", "{path}", ["-n", "{count}"], "{mode}"]


@pytest.mark.parametrize("value", ["; rm -rf /", "$(touch pwned)", "`id`", "a b c", "x && y", "| cat /etc/passwd", "*"])
def test_shell_syntax_is_passed_as_one_inert_argument(tmp_path, value):
    argv = build_argv("t", ARGV, PARAMS, {"msg": value}, tmp_path)
    assert argv == ["tool", f"--msg={value}", str(tmp_path.resolve())]


def test_a_value_never_becomes_more_than_one_argument(tmp_path):
    argv = build_argv("t", ["tool", "{msg}"], PARAMS, {"msg": "a --delete b"}, tmp_path)
    assert argv == ["tool", "a --delete b"]


@pytest.mark.parametrize("value", ["--flag", "-rf", "-"])
def test_a_string_that_looks_like_an_option_is_refused(tmp_path, value):
    with pytest.raises(ParameterRefused, match="may not start with '-'"):
        build_argv("t", ["tool", "{msg}"], PARAMS, {"msg": value}, tmp_path)


def test_a_parameter_may_opt_in_to_leading_dashes(tmp_path):
    params = {"pattern": ParamSpec(type="string", allow_leading_dash=True)}
    assert build_argv("t", ["grep", "-e", "{pattern}"], params, {"pattern": "-x"}, tmp_path) == ["grep", "-e", "-x"]


@pytest.mark.parametrize("value", ["../", "../../etc/passwd", "/etc/passwd", "a/../../b", "link/secret"])
def test_a_path_outside_the_workspace_root_is_refused(tmp_path, value):
    root = tmp_path / "root"
    (root / "a").mkdir(parents=True)
    os.symlink(tmp_path, root / "link")
    with pytest.raises(ParameterRefused, match="leaves the workspace root"):
        build_argv("t", ARGV, PARAMS, {"msg": "m", "path": value}, root)


def test_a_path_inside_the_root_is_passed_resolved(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    argv = build_argv("t", ARGV, PARAMS, {"msg": "m", "path": "a/./b/../b"}, tmp_path)
    assert argv[2] == str((tmp_path / "a" / "b").resolve())


@pytest.mark.parametrize(
    "values, message",
    [
        ({"msg": "m", "extra": "--rm"}, "Additional properties"),
        ({}, "'msg' is a required property"),
        ({"msg": 3}, "is not of type 'string'"),
        ({"msg": "m", "count": 11}, "greater than the maximum"),
        ({"msg": "m", "mode": "--all"}, "is not one of"),
        ({"msg": "a\x00b"}, "NUL"),
    ],
)
def test_values_outside_the_declared_schema_are_refused(tmp_path, values, message):
    with pytest.raises(ParameterRefused, match=message):
        build_argv("t", ARGV, PARAMS, values, tmp_path)


def test_optional_parameters_left_out_drop_their_elements(tmp_path):
    argv = build_argv("t", ARGV, PARAMS, {"msg": "m", "count": 3, "mode": "fast"}, tmp_path)
    assert argv == ["tool", "--msg=m", str(tmp_path.resolve()), "-n", "3", "fast"]


def test_the_input_schema_forbids_unknown_parameters_and_lists_required_ones():
    schema = input_schema(PARAMS)
    assert schema["additionalProperties"] is False and schema["required"] == ["msg"]


@pytest.mark.parametrize(
    "argv, message",
    [(["{msg}", "x"], "program"), (["tool", "{nope}"], "no such parameter"), (["tool", ["-x", "{nope}"]], "no such parameter"),
     ([], "empty")],
)
def test_tool_templates_that_could_be_abused_are_refused_at_load(argv, message):
    with pytest.raises(ConfigError, match=message):
        check_template("t", argv, PARAMS)
