from __future__ import annotations

import floe_core


def test_all_lists_every_public_name_and_nothing_else() -> None:
    public = {n for n in dir(floe_core) if not n.startswith("_")} - {"annotations"}
    modules = {name for name in public if type(getattr(floe_core, name)).__name__ == "module"}
    assert set(floe_core.__all__) == public - modules
    assert floe_core.__all__ == sorted(floe_core.__all__, key=lambda n: (not n.isupper(), n))
