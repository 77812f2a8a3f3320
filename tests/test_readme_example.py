import pathlib
import runpy


EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def test_readme_example_converges_and_draws(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLES / "readme.py"), run_name="__main__")
    out = capsys.readouterr().out
    last_epoch = [line for line in out.splitlines() if line.startswith("Epoch 29:")]
    assert last_epoch, out
    assert abs(float(last_epoch[0].split(":")[1]) - 1.0) < 1e-4
    html = (tmp_path / "model.html").read_text()
    assert "MatMul" in html and "<svg" in html and "http" not in html  # drawn inline, nothing to fetch
