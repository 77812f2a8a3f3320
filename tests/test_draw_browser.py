"""draw_to_html's page in a real headless browser: every node and edge renders, and nothing is fetched.

Debian's `chromium` is driven by playwright's Python API through `executable_path` (no browser
download). Skipped, with the reason, where playwright or chromium is absent; .ci/run installs both.
"""
import os
import shutil

import pytest

import microtorch
from microtorch import nn
from microtorch._scalar import Var
from microtorch.draw import draw_to_html, graph_of

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
CHROMIUM = next((path for path in map(shutil.which, ["chromium", "chromium-browser"]) if path), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)")
LAYOUTS = [pytest.param("dot", marks=pytest.mark.skipif(shutil.which("dot") is None,
                                                        reason="Graphviz `dot` is not installed")), "builtin"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def open_page(browser, path):
    """Load path from a file:// URL, recording every request the page makes."""
    page = browser.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    url = "file://" + os.path.abspath(path)
    page.goto(url, wait_until="load")
    return page, [request for request in requests if request != url]


def rendered(page, selector):
    """How many elements match selector, and how many of those are drawn with a size.

    A box has width and height; a straight horizontal edge has only a width.
    """
    return page.eval_on_selector_all(selector, """elements => [elements.length,
        elements.filter(e => { const b = e.getBBox();
            return e.classList.contains('edge') ? b.width + b.height > 0 : b.width > 0 && b.height > 0; }).length]""")


def graphs():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    y = model(microtorch.randn(5, 3))
    loss = microtorch.cross_entropy(y, microtorch.tensor([0, 1, 1, 0, 1]))
    a, b = Var(1.5, requires_grad=True), Var(-0.5, requires_grad=True)
    return {"mlp": (loss, dict(model.named_parameters())), "var": ((a * b + a.exp()).relu(), {"a": a, "b": b})}


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("which", ["mlp", "var"])
def test_every_node_and_edge_renders_with_no_network(browser, tmp_path, layout, which):
    root, params = graphs()[which]
    path = draw_to_html(root, tmp_path / which, params=params, layout=layout)
    nodes, edges = graph_of(root, params=params)
    page, requests = open_page(browser, path)
    try:
        assert requests == []
        assert rendered(page, "g.node") == [len(nodes), len(nodes)]
        assert rendered(page, "g.edge") == [len(edges), len(edges)]
        # each node's label lines are drawn as text, in the graph's order of lines
        labels = page.eval_on_selector_all(
            "g.node", "nodes => nodes.map(n => [n.querySelector('title').textContent,"
                      " Array.from(n.querySelectorAll('text')).map(t => t.textContent)])")
        assert dict(labels) == {name: lines for name, (_, lines) in nodes.items()}
    finally:
        page.close()


def test_the_recorder_sees_requests(browser, tmp_path):
    # The check above would pass vacuously if requests were not recorded: a page with an image does make one.
    path = tmp_path / "fetches.html"
    path.write_text('<html><body><img src="missing.png"></body></html>')
    page, requests = open_page(browser, path)
    page.close()
    assert requests == ["file://" + str(tmp_path / "missing.png")]
