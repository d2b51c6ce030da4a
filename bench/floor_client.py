"""The least a warm fetch can take here: conditional GETs and nothing else.

    python bench/floor_client.py REQUESTS.json CONCURRENCY

REQUESTS.json lists [url, etag] pairs (bench_fetch.py writes it from the farm). The
client is asyncio and h11 (the HTTP/1.1 state machine under httpx), with keep-alive and
CONCURRENCY connections, but reads no configuration, stores nothing and checks nothing: its wall
time is the floor that the farm's latency and Python's start-up set for any Python
client, so newsdesk's warm time can be read against it as well as against newsboat's.
"""

from __future__ import annotations

import asyncio
import json
import sys
from urllib.parse import urlsplit

import h11


async def worker(queue: list[tuple[str, str]], statuses: list[int]) -> None:
    connection = None
    while queue:
        url, etag = queue.pop()
        parts = urlsplit(url)
        if connection is None:
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            connection = h11.Connection(h11.CLIENT)
        headers = [("Host", parts.netloc), ("Accept-Encoding", "gzip"), ("If-None-Match", etag)]
        writer.write(connection.send(h11.Request(method="GET", target=parts.path, headers=headers)))
        writer.write(connection.send(h11.EndOfMessage()))
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(await reader.read(65536))
            elif isinstance(event, h11.Response):
                statuses.append(event.status_code)
            elif isinstance(event, h11.EndOfMessage):
                break
        connection.start_next_cycle()
    if connection is not None:
        writer.close()


async def main(requests: list[tuple[str, str]], concurrency: int) -> list[int]:
    queue, statuses = list(reversed(requests)), []
    await asyncio.gather(*(worker(queue, statuses) for _ in range(concurrency)))
    return statuses


if __name__ == "__main__":
    pairs = [tuple(pair) for pair in json.loads(open(sys.argv[1], encoding="utf-8").read())]
    answers = asyncio.run(main(pairs, int(sys.argv[2])))
    print(json.dumps({"304": answers.count(304), "other": len(answers) - answers.count(304)}))
