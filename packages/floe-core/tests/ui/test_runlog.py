"""The dbt.log lines the run page shows for a node."""

from __future__ import annotations

from floe_core.ui._runlog import node_log

# Two invocations appended to one file, two threads interleaved, an error continued on
# lines without a timestamp: as dbt's file log really is.
LOG = """\
10:00:00.000001 [debug] [Thread-1 (]: Began running node model.shop.orders
10:00:00.000002 [debug] [Thread-1 (]: Runtime Error in model orders (models/orders.sql)
  an older failure
10:00:00.000003 [debug] [Thread-1 (]: Finished running node model.shop.orders
10:00:05.000001 [info ] [MainThread]: Running with dbt=1.11.0
10:00:06.000001 [debug] [Thread-2 (]: Began running node model.shop.orders
10:00:06.000002 [debug] [Thread-3 (]: Began running node model.shop.stg
10:00:06.000003 [debug] [Thread-2 (]: On model.shop.orders: BEGIN
10:00:06.000004 [debug] [Thread-3 (]: Database Error in model stg: not this one
10:00:06.000005 [debug] [Thread-2 (]: Runtime Error in model orders (models/orders.sql)
  Binder Error: Referenced column "x" not found
  LINE 3: select x
10:00:06.000006 [error] [Thread-2 (]: \x1b[31m1 of 2 ERROR creating table main.orders\x1b[0m
10:00:06.000007 [debug] [Thread-2 (]: Finished running node model.shop.orders
10:00:06.000008 [debug] [Thread-2 (]: Database Error in model later: after the block
""".splitlines()


def test_the_error_of_the_last_run_of_the_node_on_its_own_thread() -> None:
    assert node_log(LOG, "model.shop.orders") == [
        "10:00:06.000005 [debug] [Thread-2 (]: Runtime Error in model orders (models/orders.sql)",
        '  Binder Error: Referenced column "x" not found',
        "  LINE 3: select x",
        "10:00:06.000006 [error] [Thread-2 (]: 1 of 2 ERROR creating table main.orders",
    ]


def test_a_node_without_an_error_message_gets_the_last_lines_of_its_block() -> None:
    quiet = [line for line in LOG if "Error" not in line and "ERROR" not in line]
    lines = node_log(quiet, "model.shop.orders")
    assert lines[0].endswith("Began running node model.shop.orders")
    assert lines[-1].endswith("Finished running node model.shop.orders")
    assert all("Thread-2" in line for line in lines if line[:2].isdigit())


def test_a_node_the_log_never_ran_has_no_lines() -> None:
    assert node_log(LOG, "model.shop.missing") == []
