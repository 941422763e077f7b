package io.overlaynet.etcd;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.Locale;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import jdk.net.ExtendedSocketOptions;

/**
 * One blocking HTTP/1.1 connection to an etcd endpoint: POST a JSON body, read a response whose
 * body has a {@code Content-Length} or is chunked. Internal: used by {@link GatewayClient}.
 *
 * <p>Why not {@code java.net.http.HttpClient}: on this kind of machine it takes ~0.5 s and ~20 MB
 * of resident memory to load and make its first request (its asynchronous machinery is ~1,000
 * classes), which is most of an agent's start-up budget. The gateway needs only POST and two body
 * framings, over a plain or TLS socket. Not thread-safe: one request at a time.
 */
final class HttpConnection implements AutoCloseable {

  /** Longest status or header line accepted. */
  private static final int MAX_LINE = 16 * 1024;

  private final URI endpoint;
  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private boolean reused;
  private boolean answered;

  private HttpConnection(URI endpoint, Socket socket) throws IOException {
    this.endpoint = endpoint;
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 8 * 1024);
  }

  /**
   * Connects to {@code endpoint} ({@code http} or {@code https}); with TLS the handshake is done
   * here, and the server's certificate must match the endpoint's host name or IP address.
   */
  static HttpConnection open(URI endpoint, SSLSocketFactory tls, int connectTimeoutMs) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      // A watch stream may be silent for hours: keep-alive probes find a peer that vanished
      // without closing the connection (host crash, partition) within about 25 s, after which
      // the watch resumes elsewhere or re-lists. Without them a node cut off from etcd would wait
      // for ever on a dead connection, blind to every lease change.
      socket.setKeepAlive(true);
      setKeepAliveTimes(socket);
      socket.connect(new InetSocketAddress(endpoint.getHost(), endpoint.getPort()), connectTimeoutMs);
      if (tls != null) {
        socket.setSoTimeout(connectTimeoutMs);
        SSLSocket ssl = (SSLSocket) tls.createSocket(socket, endpoint.getHost(), endpoint.getPort(), true);
        SSLParameters params = ssl.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        // flanneld sets MinVersion TLS 1.2.
        params.setProtocols(new String[] {"TLSv1.3", "TLSv1.2"});
        ssl.setSSLParameters(params);
        ssl.startHandshake();
        socket = ssl;
      }
      return new HttpConnection(endpoint, socket);
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  private static void setKeepAliveTimes(Socket socket) {
    try {
      // A probe every 10 s on an idle connection costs nothing; dead after 3 unanswered 5 s apart.
      socket.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 10);
      socket.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, 5);
      socket.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 3);
    } catch (IOException | UnsupportedOperationException e) {
      // Not on this platform: the system's keep-alive times apply.
    }
  }

  URI endpoint() {
    return endpoint;
  }

  /** Marks the connection as taken from the pool of kept-alive connections. */
  void markReused() {
    reused = true;
  }

  /** Returns whether the connection carried an earlier request (it came from the pool). */
  boolean wasUsedBefore() {
    return reused;
  }

  /**
   * Returns whether any byte of an answer to the last request arrived. If none did on a
   * kept-alive connection that then failed, etcd had closed it before reading the request.
   */
  boolean gotAnswer() {
    return answered;
  }

  /**
   * Sends {@code POST path} with a JSON body; {@code extraHeaders} are complete header lines
   * without the line end (e.g. {@code Authorization: token}).
   */
  void post(String path, byte[] body, String... extraHeaders) throws IOException {
    answered = false;
    StringBuilder head = new StringBuilder(160);
    head.append("POST ").append(path).append(" HTTP/1.1\r\n")
        .append("Host: ").append(endpoint.getRawAuthority()).append("\r\n")
        .append("Content-Type: application/json\r\n")
        .append("Content-Length: ").append(body.length).append("\r\n");
    for (String h : extraHeaders) {
      head.append(h).append("\r\n");
    }
    head.append("\r\n");
    out.write(head.toString().getBytes(US_ASCII));
    out.write(body);
    out.flush();
  }

  /**
   * Reads a response's status line and headers; the body is then read from the returned
   * response's {@link Response#body()} stream.
   *
   * @param timeoutMs the longest wait for each read from now on (0: no limit)
   */
  Response readResponse(int timeoutMs) throws IOException {
    socket.setSoTimeout(timeoutMs);
    int first = in.read();
    if (first < 0) {
      throw new EOFException("connection closed by etcd");
    }
    answered = true;
    String status = (char) first + readLine(in);
    // "HTTP/1.1 200 OK"
    String[] parts = status.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP response from " + endpoint + ": " + abbreviate(status));
    }
    int code;
    try {
      code = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IOException("bad HTTP status line from " + endpoint + ": " + abbreviate(status), e);
    }
    long contentLength = -1;
    boolean chunked = false;
    boolean close = parts[0].equals("HTTP/1.0");
    for (String line = readLine(in); !line.isEmpty(); line = readLine(in)) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> {
          try {
            contentLength = Long.parseLong(value);
          } catch (NumberFormatException e) {
            throw new IOException("bad Content-Length from " + endpoint + ": " + abbreviate(value), e);
          }
        }
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "connection" -> close = close || value.equalsIgnoreCase("close");
        default -> { }
      }
    }
    InputStream body;
    if (chunked) {
      body = new ChunkedBody(in);
    } else if (contentLength >= 0) {
      body = new FixedBody(in, contentLength);
    } else {
      // No framing: the body runs to the end of the connection.
      close = true;
      body = in;
    }
    return new Response(code, body, !close);
  }

  /** Changes the read timeout of the body being read (0: no limit). */
  void setReadTimeout(int timeoutMs) throws SocketException {
    socket.setSoTimeout(timeoutMs);
  }

  /** Closes the socket; a read blocked on it in another thread fails at once. Never throws. */
  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // Nothing left to release.
    }
  }

  /**
   * A response head and its body stream.
   *
   * @param reusable whether the connection may carry another request once the body is read
   */
  record Response(int status, InputStream body, boolean reusable) {}

  /**
   * Reads a response's whole body, each read bounded by the time left until {@code deadline}
   * ({@link System#nanoTime()} based).
   *
   * @throws TooLargeException if the body is longer than {@code max} bytes
   * @throws java.net.SocketTimeoutException if the deadline passes first
   */
  byte[] readBody(Response response, int max, long deadline) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
    byte[] chunk = new byte[8192];
    while (true) {
      long ms = (deadline - System.nanoTime()) / 1_000_000;
      if (ms <= 0) {
        throw new SocketTimeoutException("etcd's answer was not complete before the deadline");
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, ms));
      int n = response.body().read(chunk);
      if (n < 0) {
        return buffer.toByteArray();
      }
      buffer.write(chunk, 0, n);
      if (buffer.size() > max) {
        throw new TooLargeException("etcd's answer is longer than " + max + " bytes");
      }
    }
  }

  /** An answer longer than the caller accepts: not worth retrying. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(String message) {
      super(message);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        throw new EOFException("connection closed by etcd");
      }
      if (c != '\r') {
        if (sb.length() >= MAX_LINE) {
          throw new IOException("HTTP line longer than " + MAX_LINE + " bytes");
        }
        sb.append((char) c);
      }
    }
    return sb.toString();
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }

  /** A body of known length; reading past it returns end of stream. */
  private static final class FixedBody extends InputStream {
    private final InputStream in;
    private long remaining;

    FixedBody(InputStream in, long length) {
      this.in = in;
      this.remaining = length;
    }

    @Override
    public int read() throws IOException {
      if (remaining == 0) {
        return -1;
      }
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed by etcd with " + remaining + " body bytes missing");
      }
      remaining--;
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining == 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new EOFException("connection closed by etcd with " + remaining + " body bytes missing");
      }
      remaining -= n;
      return n;
    }
  }

  /** A chunked body (RFC 9112 section 7.1), decoded; trailers are skipped. */
  private static final class ChunkedBody extends InputStream {
    private final InputStream in;
    private long remaining;
    private boolean done;

    ChunkedBody(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      if (!startChunk()) {
        return -1;
      }
      int c = in.read();
      if (c < 0) {
        throw new EOFException("connection closed by etcd inside a chunk");
      }
      endOfData(1);
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (!startChunk()) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new EOFException("connection closed by etcd inside a chunk");
      }
      endOfData(n);
      return n;
    }

    /** Reads the next chunk's size if the current one is used up; false at the end of the body. */
    private boolean startChunk() throws IOException {
      if (done) {
        return false;
      }
      if (remaining > 0) {
        return true;
      }
      String size = readLine(in);
      int ext = size.indexOf(';');
      try {
        remaining = Long.parseLong((ext >= 0 ? size.substring(0, ext) : size).trim(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size from etcd: " + abbreviate(size), e);
      }
      if (remaining < 0) {
        throw new IOException("bad chunk size from etcd: " + abbreviate(size));
      }
      if (remaining == 0) {
        for (String trailer = readLine(in); !trailer.isEmpty(); trailer = readLine(in)) {
          // Trailers carry nothing we use.
        }
        done = true;
        return false;
      }
      return true;
    }

    private void endOfData(int n) throws IOException {
      remaining -= n;
      if (remaining == 0 && !readLine(in).isEmpty()) {
        throw new IOException("chunk not followed by CRLF");
      }
    }
  }
}
