package io.overlaynet.etcd;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A scripted HTTP/1.1 server on loopback that plays etcd's JSON gateway for unit tests: each
 * request is answered by {@link Handler}, which writes raw bytes (so tests can send odd chunking,
 * garbage or nothing at all). Records every request's path and body.
 */
final class FakeGateway implements AutoCloseable {

  /** Answers one request by writing raw HTTP to {@code out}; returns false to close the connection. */
  interface Handler {
    boolean answer(String path, String body, OutputStream out) throws IOException;
  }

  private final ServerSocket server;
  private final Handler handler;
  private final Thread acceptor;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  final List<String> requests = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();

  /** The Authorization header of the request being answered on this thread (null if none). */
  private static final ThreadLocal<String> AUTHORIZATION = new ThreadLocal<>();

  /** For handlers: the Authorization header of the request they answer, or null. */
  static String authorization() {
    return AUTHORIZATION.get();
  }

  /** Closes every connection accepted so far (as an etcd restart would). */
  void dropConnections() throws IOException {
    for (Socket s : sockets) {
      s.close();
    }
  }

  FakeGateway(Handler handler) throws IOException {
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.handler = handler;
    this.acceptor = new Thread(this::acceptLoop, "fake-gateway");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String endpoint() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /** A complete response with a JSON body and a Content-Length. */
  static void json(OutputStream out, int status, String json) throws IOException {
    byte[] body = json.getBytes(UTF_8);
    out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + body.length
        + "\r\n\r\n").getBytes(US_ASCII));
    out.write(body);
    out.flush();
  }

  /** The head of a chunked response. */
  static void chunkedHead(OutputStream out) throws IOException {
    out.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        .getBytes(US_ASCII));
    out.flush();
  }

  /** One chunk holding {@code text}. */
  static void chunk(OutputStream out, String text) throws IOException {
    byte[] data = text.getBytes(UTF_8);
    out.write((Integer.toHexString(data.length) + "\r\n").getBytes(US_ASCII));
    out.write(data);
    out.write("\r\n".getBytes(US_ASCII));
    out.flush();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return;
      }
      connections.incrementAndGet();
      sockets.add(s);
      Thread t = new Thread(() -> serve(s), "fake-gateway-conn");
      t.setDaemon(true);
      t.start();
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream());
      OutputStream out = s.getOutputStream();
      while (true) {
        String requestLine = line(in);
        if (requestLine == null) {
          return;
        }
        int length = 0;
        String authorization = null;
        for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
          String lower = h.toLowerCase(Locale.ROOT);
          if (lower.startsWith("content-length:")) {
            length = Integer.parseInt(h.substring(15).trim());
          } else if (lower.startsWith("authorization:")) {
            authorization = h.substring(14).trim();
          }
        }
        AUTHORIZATION.set(authorization);
        String body = new String(in.readNBytes(length), UTF_8);
        String path = requestLine.split(" ")[1];
        requests.add(path + " " + body);
        if (!handler.answer(path, body, out)) {
          return;
        }
      }
    } catch (IOException e) {
      // The client went away.
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        return null;
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
