"""A loopback APNs: HTTP/2 over TLS, client certificate required, answering like Apple's push service."""

import json
import socket
import ssl
import threading

import h2.config
import h2.connection
import h2.events


class FakeApns:
    """Records (path, headers, client certificate subject) per push; `answers[token]` = (status, reason)."""

    def __init__(self, *, server_cert: str, server_key: str, client_ca: str):
        self.pushes: list[dict] = []
        self.answers: dict[str, tuple[int, str]] = {}
        self.refused: list[str] = []  # TLS handshakes that failed, e.g. no or untrusted client certificate
        self.refusal = threading.Event()  # set once a handshake is refused (the client may see it first)
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._context.load_cert_chain(server_cert, server_key)
        self._context.load_verify_locations(client_ca)
        self._context.verify_mode = ssl.CERT_REQUIRED
        self._context.set_alpn_protocols(["h2"])
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._listener.close()

    def _serve(self):
        while True:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(raw,), daemon=True).start()

    def _handle(self, raw: socket.socket):
        try:
            sock = self._context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.refused.append(str(exc))
            self.refusal.set()
            raw.close()
            return
        subject = dict(pair[0] for pair in sock.getpeercert()["subject"])
        connection = h2.connection.H2Connection(config=h2.config.H2Configuration(client_side=False))
        connection.initiate_connection()
        sock.sendall(connection.data_to_send())
        headers: dict[int, dict] = {}
        try:
            while data := sock.recv(65535):
                for event in connection.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        headers[event.stream_id] = {k.decode() if isinstance(k, bytes) else k:
                                                    v.decode() if isinstance(v, bytes) else v
                                                    for k, v in event.headers}
                    elif isinstance(event, h2.events.StreamEnded):
                        self._answer(connection, event.stream_id, headers.pop(event.stream_id), subject)
                sock.sendall(connection.data_to_send())
        except (ssl.SSLError, OSError):
            pass
        finally:
            sock.close()

    def _answer(self, connection, stream_id: int, request: dict, subject: dict):
        token = request[":path"].rsplit("/", 1)[-1]
        self.pushes.append({"path": request[":path"], "method": request[":method"], "topic": request.get("apns-topic"),
                            "push_type": request.get("apns-push-type"), "client": subject.get("commonName")})
        status, reason = self.answers.get(token, (200, ""))
        body = json.dumps({"reason": reason}).encode() if reason else b""
        connection.send_headers(stream_id, [(":status", str(status)), ("content-length", str(len(body)))],
                                end_stream=not body)
        if body:
            connection.send_data(stream_id, body, end_stream=True)
