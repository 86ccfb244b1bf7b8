"""A minimal Python runtime for the Lambda emulator (the role of awslambdaric in a python3.x runtime).

Like the real one, it imports `_HANDLER` (`module.function`) from `LAMBDA_TASK_ROOT`, reports an
import failure through `init/error`, then loops on `invocation/next`: sets `_X_AMZN_TRACE_ID` from
the `Lambda-Runtime-Trace-Id` header (and removes it when the invocation has none), calls the
handler with the JSON event and a context object, and posts the JSON result to `response` or
`{errorMessage, errorType, stackTrace}` to `error`. Standard library only; output unbuffered (run
with `python3 -u`).
"""
import http.client
import importlib
import json
import os
import sys
import time
import traceback

API_HOST, API_PORT = os.environ["AWS_LAMBDA_RUNTIME_API"].rsplit(":", 1)
PREFIX = "/2018-06-01/runtime"
connection = http.client.HTTPConnection(API_HOST, int(API_PORT))


def call(method, path, body=None, headers=None):
    """One Runtime API call on the kept-alive connection; returns (status, headers, body bytes)."""
    global connection
    data = None if body is None else json.dumps(body).encode("utf-8")
    all_headers = dict(headers or {})
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    for attempt in (1, 2):
        try:
            connection.request(method, PREFIX + path, body=data, headers=all_headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        except (ConnectionError, http.client.HTTPException):
            if attempt == 2:
                raise
            connection.close()
            connection = http.client.HTTPConnection(API_HOST, int(API_PORT))


def error_body(error):
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "stackTrace": traceback.format_exception(type(error), error, error.__traceback__),
    }


class LambdaContext:
    """The attributes of the real runtime's context object that handlers use."""

    def __init__(self, headers):
        self.aws_request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        self.invoked_function_arn = headers.get("Lambda-Runtime-Invoked-Function-Arn", "")
        self._deadline_ms = int(headers.get("Lambda-Runtime-Deadline-Ms", "0"))
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def load_handler():
    module_name, _, function_name = os.environ.get("_HANDLER", "").rpartition(".")
    if not module_name or not function_name:
        raise ValueError("Bad handler '%s': expected module.function" % os.environ.get("_HANDLER", ""))
    sys.path.insert(0, os.environ["LAMBDA_TASK_ROOT"])
    module = importlib.import_module(module_name.replace("/", "."))
    return getattr(module, function_name)


def main():
    try:
        handler = load_handler()
    except Exception as error:  # noqa: BLE001 - every init failure is reported to Lambda
        body = error_body(error)
        body["errorType"] = "Runtime.ImportModuleError"
        call("POST", "/init/error", body, {"Lambda-Runtime-Function-Error-Type": "Runtime.ImportModuleError"})
        sys.exit(1)

    while True:
        status, headers, payload = call("GET", "/invocation/next")
        if status != 200:
            print("runtime: invocation/next answered %d: %s" % (status, payload.decode("utf-8", "replace")), file=sys.stderr)
            sys.exit(1)
        request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        trace_id = headers.get("Lambda-Runtime-Trace-Id")
        if trace_id:
            os.environ["_X_AMZN_TRACE_ID"] = trace_id
        else:
            os.environ.pop("_X_AMZN_TRACE_ID", None)
        try:
            event = json.loads(payload) if payload else None
            result = handler(event, LambdaContext(headers))
            call("POST", "/invocation/%s/response" % request_id, result)
        except Exception as error:  # noqa: BLE001 - the handler's error goes to Lambda
            call("POST", "/invocation/%s/error" % request_id, error_body(error),
                 {"Lambda-Runtime-Function-Error-Type": "Unhandled"})


if __name__ == "__main__":
    main()
