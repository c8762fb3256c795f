"""Every command README.md shows under "Use" works as written right after the demo: run in the
directory the demo ran in, each exits 0; ``serve`` (long-running) starts and answers /health."""

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx

from cunguan.core import limits
from tests.e2e.server_helpers import free_port

ROOT = Path(__file__).resolve().parents[2]
CLI = ".venv/bin/cunguan"
#: Commands that run until stopped: checked to start and answer instead.
LONG_RUNNING = ("serve",)


def readme_use_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Use", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", section, re.S)
    assert block is not None, "README's Use section has no command block"
    return [line.split("  #", 1)[0].strip() for line in block.group(1).splitlines()
            if line.strip()]


def _serve_answers(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    port = str(free_port())
    args = [port if i and args[i - 1] == "--port" else arg for i, arg in enumerate(args)]
    server = subprocess.Popen([sys.executable, "-m", "cunguan", *args], cwd=cwd, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(0.1)
        raise AssertionError("cunguan serve did not answer /health")
    finally:
        server.terminate()
        server.wait(10)


def test_every_readme_use_command_works_right_after_the_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CUNGUAN_DATABASE_URL"}
    demo = subprocess.run([sys.executable, "-m", "cunguan", "demo", "--users",
                           str(limits.demo_users_min)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    commands = readme_use_commands()
    assert len(commands) >= 8
    for command in commands:
        words = shlex.split(command)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = value
            continue
        assert words[0] == CLI, command
        if words[1] in LONG_RUNNING:
            _serve_answers(words[1:], tmp_path, env)
            continue
        done = subprocess.run([sys.executable, "-m", "cunguan", *words[1:]], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=120,
                              check=False)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
