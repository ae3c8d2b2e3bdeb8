"""One fresh process of the custom message benchmark: import a handler, invoke it once cold, then warm.

Run by bench/custom_message_speed.py, never on its own. It imports only ``sys`` and ``time`` before the clock
starts, so everything the handler needs (json included) is paid for inside the measurement, as on a cold Lambda.
"""

import sys
import time


class _Context:
    # What Lambda hands a Python handler; Powertools' inject_lambda_context reads these attributes.
    function_name = "custom-message-bench"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:custom-message-bench"
    memory_limit_in_mb = 256
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/custom-message-bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 5000


def main() -> None:
    module_name, event_path, warm_count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(event_path, encoding="utf-8") as file:
        event_text = file.read()
    report = sys.stdout
    # Handlers log and emit metrics to stdout; send that to /dev/null for both contenders alike.
    sys.stdout = open("/dev/null", "w")  # noqa: SIM115 - no pathlib/contextlib before the clock starts

    started = time.perf_counter()
    module = __import__(module_name, fromlist=["lambda_handler"])
    imported = time.perf_counter()
    import json  # already imported by either handler; parsing the event is the runtime's work, not the handler's

    event = json.loads(event_text)
    context = _Context()
    invoke_started = time.perf_counter()
    result = module.lambda_handler(event, context)
    invoked = time.perf_counter()
    if not result["response"]["emailMessage"]:
        raise SystemExit(f"{module_name} did not render an e-mail")

    events = [json.loads(event_text) for _ in range(warm_count)]
    durations = []
    for warm_event in events:
        begin = time.perf_counter_ns()
        module.lambda_handler(warm_event, context)
        durations.append(time.perf_counter_ns() - begin)
    durations.sort()
    # Whether MarkupSafe escaped in C: its speedups load only on the platform and Python they were built for.
    speedups = "markupsafe._speedups" in sys.modules
    report.write(
        json.dumps(
            {
                "import_ms": (imported - started) * 1000,
                "first_invocation_ms": (invoked - invoke_started) * 1000,
                "cold_ms": (imported - started + invoked - invoke_started) * 1000,
                "warm_p50_ms": durations[len(durations) // 2] / 1e6,
                "warm_p99_ms": durations[min(len(durations) - 1, int(len(durations) * 0.99))] / 1e6,
                "markupsafe_speedups": speedups,
            }
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
