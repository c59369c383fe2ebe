"""Jobs files: every row checked before any work, problems with their line numbers, exit 2."""

from __future__ import annotations

import pytest

from app.batch.jobs import JobFileError, parse_jobs, read_jobs
from app.cli import main
from tests.app.batch_helpers import TWELVE, cli, write_jobs


def _refused(capsys, tmp_path, text: str, name: str, *phrases: str) -> str:
    jobs = write_jobs(tmp_path, text, name)
    out = tmp_path / "out"
    assert main(["batch", str(jobs), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    for phrase in phrases:
        assert phrase in err, err
    assert not out.exists(), "nothing may be made before the jobs file is fine"
    return err


def test_twelve_rows_read_with_names_sizes_and_exports():
    jobs = parse_jobs(TWELVE, ".csv")
    assert len(jobs) == 12
    first = jobs[0]
    assert (first.name, first.line, first.width, first.height, first.exports) == (
        "1-a-misty-pine-forest-at-dawn-s1", 2, 256, 128, ("glb",))
    assert jobs[4].prompt == "snowy mountains, clear day"  # (quoted comma kept)
    assert jobs[2].exports == ("glb", "ply")
    assert jobs[6].upscale == "classical" and jobs[7].repair_poles is True
    assert jobs[8].name == "sky-1-an-autumn-forest-s9"  # (the id names it)
    assert len({j.request_hash for j in jobs}) == 12


def test_the_hash_follows_the_request_not_the_row():
    a = parse_jobs("prompt,seed\na forest,1\n", ".csv")[0]
    b = parse_jobs('{"prompt": "a forest", "seed": 1}\n', ".jsonl")[0]
    c = parse_jobs("prompt,seed\na forest,2\n", ".csv")[0]
    assert a.request_hash == b.request_hash != c.request_hash


def test_jsonl_and_toml_give_the_same_jobs(tmp_path):
    jsonl = write_jobs(tmp_path, '{"prompt": "a cave", "seed": 3, "size": "256x128", '
                       '"exports": ["ply", "glb"]}\n\n{"prompt": "a hall", "repair-poles": true}\n',
                       "j.jsonl")
    toml = write_jobs(tmp_path, '[defaults]\nsize = "256x128"\n\n[[jobs]]\nprompt = "a cave"\n'
                      'seed = 3\nexports = ["glb", "ply"]\n\n[[jobs]]\nprompt = "a hall"\n'
                      'size = ""\nrepair_poles = true\n', "j.toml")
    a, b = read_jobs(jsonl), read_jobs(toml)
    assert [j.request_hash for j in a] == [j.request_hash for j in b]
    assert [j.line for j in a] == [1, 3] and [j.line for j in b] == [4, 9]


@pytest.mark.parametrize("text,name,phrases", [
    ('prompt,seed\n"a "forest" at dawn",1\n', "q.csv", ["line 2", "bad CSV", "quotes"]),
    ("prompt,sede\na forest,1\n", "k.csv", ["line 1", "unknown column 'sede'", "seed"]),
    ('{"prompt": "a", "colour": "red"}\n', "k.jsonl", ["line 1", "unknown key 'colour'"]),
    ("", "empty.csv", ["0 rows"]),
    ("prompt,seed\n", "header.csv", ["0 rows"]),
    ("[defaults]\nseed = 1\n", "none.toml", ["0 rows"]),
    ("prompt,backend\na,procedural\nb,dalle\n", "b.csv", ["line 3", "unknown backend 'dalle'"]),
    ("prompt,size\na,300x100\nb,256-128\nc,8192x4096\n", "s.csv",
     ["line 2", "2:1", "line 3", "WIDTHxHEIGHT", "line 4", "out of range"]),
    ('prompt,seed\n"",1\n   ,2\n', "p.csv", ["line 2", "line 3", "the prompt is empty"]),
], ids=["quoting", "csv-key", "json-key", "empty", "header-only", "toml-no-jobs", "backend",
        "sizes", "empty-prompt"])
def test_malformed_files_are_refused_with_line_numbers(capsys, tmp_path, text, name, phrases):
    _refused(capsys, tmp_path, text, name, *phrases)


def test_one_id_twice_is_refused_the_same_row_twice_is_two_jobs(capsys, tmp_path):
    assert len(parse_jobs("prompt,seed\na,1\na,1\n", ".csv")) == 2  # (row numbers differ)
    _refused(capsys, tmp_path, "id,prompt\nx,a\nx,a\n", "d.csv", "line 3", "line 2")


def test_other_rows_and_types(capsys, tmp_path):
    err = _refused(capsys, tmp_path, 'not json\n[1, 2]\n{"prompt": "a", "seed": -1}\n'
                   '{"prompt": "b", "exports": "glb;obj"}\n{"prompt": "c", "upscale": "x8"}\n',
                   "t.jsonl", "line 1", "not JSON", "line 2", "JSON object", "line 3", "seed",
                   "line 4", "unknown export 'obj'", "line 5", "upscale")
    assert "5 problems, nothing was run" in err
    with pytest.raises(JobFileError, match="unknown jobs file type"):
        read_jobs(write_jobs(tmp_path, "x", "jobs.xlsx"))


def test_a_100000_row_file_with_one_bad_row_names_that_line(capsys, tmp_path):
    rows = [f"a forest {i},{i},256x128\n" for i in range(100_000)]
    rows[87_654] = "a forest,1,257x128\n"
    _refused(capsys, tmp_path, "prompt,seed,size\n" + "".join(rows), "big.csv",
             "line 87656", "2:1", "1 problem")


def test_a_100000_row_file_is_checked_without_running(capsys, tmp_path):
    rows = "".join(f"a forest {i},{i}\n" for i in range(100_000))
    jobs = write_jobs(tmp_path, "prompt,seed\n" + rows, "big.csv")
    assert main(["batch", str(jobs), "--out", str(tmp_path / "out"), "--check"]) == 0
    assert "100000 jobs are fine" in capsys.readouterr().out


def test_many_problems_are_counted_not_all_printed(capsys, tmp_path):
    err = _refused(capsys, tmp_path, "seed,prompt\n" + "1,\n" * 50,
                   "many.csv", "... and")
    assert err.count("line ") == 20


def test_the_command_line_exits_2_without_a_traceback(tmp_path):
    jobs = write_jobs(tmp_path, "prompt,size\na,100x100\n", "bad.csv")
    res = cli(jobs, "--out", tmp_path / "out")
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "line 2" in res.stderr and "hint:" in res.stderr
