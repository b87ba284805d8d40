"""Downloading the corpus: verifying it, caching it, and the errors a reader
sees when that fails. Against a real local HTTP server."""

import http.server
import socket
import threading

import pytest

import d2lsave


@pytest.fixture(scope='module')
def good_bytes():
    return d2lsave.download_time_machine().read_bytes()


@pytest.fixture(scope='module')
def server(good_bytes):
    """Serve /good/, /wrong/ (a different text) and 404 for anything else."""
    files = {
        '/good/timemachine.txt': good_bytes,
        '/wrong/timemachine.txt': b'<html>Not the novel</html>',
    }

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = files.get(self.path)
            self.send_response(200 if body else 404)
            self.end_headers()
            self.wfile.write(body or b'not found')

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_address[1]}'
    httpd.shutdown()


@pytest.fixture
def dead_url():
    """A URL on a port that refuses connections."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    return f'http://127.0.0.1:{port}/timemachine.txt'


def test_downloads_when_missing_and_verifies(tmp_path, server, good_bytes):
    path = d2lsave.download_time_machine(
        tmp_path, server + '/good/timemachine.txt'
    )
    assert path == tmp_path / 'timemachine.txt'
    assert path.read_bytes() == good_bytes
    assert [p.name for p in tmp_path.iterdir()] == ['timemachine.txt']
    # cached now: a dead server no longer matters
    again = d2lsave.download_time_machine(tmp_path, 'http://127.0.0.1:9/x')
    assert again == path


@pytest.mark.parametrize(
    'where, expected',
    [
        ('/wrong/timemachine.txt', 'not the expected file'),
        ('/missing/timemachine.txt', 'HTTP Error 404'),
    ],
)
def test_a_bad_download_is_refused(tmp_path, server, where, expected):
    with pytest.raises(d2lsave.DataError) as info:
        d2lsave.download_time_machine(tmp_path, server + where)
    message = str(info.value)
    assert expected in message
    assert d2lsave.TIME_MACHINE_SHA1 in message
    assert str(tmp_path / 'timemachine.txt') in message
    assert list(tmp_path.iterdir()) == []  # nothing half-written is left


def test_no_network_gives_one_actionable_error(
    tmp_path, dead_url, monkeypatch
):
    monkeypatch.setenv('D2LSAVE_DATA', str(tmp_path / 'cache'))
    monkeypatch.setenv('D2LSAVE_DATA_URL', dead_url.rsplit('/', 1)[0])
    with pytest.raises(d2lsave.DataError) as info:
        d2lsave.load_data_time_machine(32, 35)
    message = str(info.value)
    assert 'refused' in message.lower()
    assert 'timemachine.txt, 178979 bytes' in message
    assert d2lsave.TIME_MACHINE_SHA1 in message
    assert (
        f'put that file at {tmp_path / "cache" / "timemachine.txt"}' in message
    )


def test_a_corrupt_cache_is_detected_kept_and_replaced(
    tmp_path, server, dead_url, good_bytes
):
    cached = tmp_path / 'timemachine.txt'
    cached.write_bytes(good_bytes[:-100])  # truncated
    with pytest.raises(d2lsave.DataError, match='corrupt') as info:
        d2lsave.download_time_machine(tmp_path, dead_url)
    assert 'refused' in str(info.value).lower()
    assert cached.read_bytes() == good_bytes[:-100]  # nothing lost
    d2lsave.download_time_machine(tmp_path, server + '/good/timemachine.txt')
    assert cached.read_bytes() == good_bytes
