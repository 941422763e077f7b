package io.overlaynet.etcd;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.overlaynet.store.StoreException;
import io.overlaynet.store.StoreUnavailableException;
import java.net.URI;

/**
 * An error answer of etcd's JSON gateway, and which store exception it becomes. Internal.
 *
 * <p>The gateway reports a failed unary call as an HTTP error status with
 * {@code {"error": "...", "code": <gRPC code>, "message": "..."}}, and a failed stream as a line
 * {@code {"error": {"grpc_code": ..., "http_code": ..., "message": ...}}}; a path it does not
 * serve (etcd before 3.4, or {@code --enable-grpc-gateway=false}) is a plain 404.
 *
 * @param grpcCode the gRPC status code, or -1 if the answer carried none
 */
record GatewayError(int httpStatus, int grpcCode, String message) {

  /** Reads an error from an HTTP status and its body ({@code json} may be null, {@code text} raw). */
  static GatewayError of(int httpStatus, JsonObject json, String text) {
    if (json != null) {
      JsonObject fields = json;
      JsonElement nested = json.get("error");
      if (nested != null && nested.isJsonObject()) {
        fields = nested.getAsJsonObject();
      }
      int code = intField(fields, "code", intField(fields, "grpc_code", -1));
      String message = stringField(fields, "message");
      if (message == null && nested != null && nested.isJsonPrimitive()) {
        message = nested.getAsString();
      }
      if (message != null || code >= 0) {
        return new GatewayError(httpStatus, code, message == null ? "" : message);
      }
    }
    return new GatewayError(httpStatus, -1, GatewayClient.abbreviate(text == null ? "" : text));
  }

  /**
   * Whether etcd no longer accepts the auth token: it expired or died with an etcd restart
   * ("invalid auth token"), users or roles changed since it was issued ("revision of auth store is
   * old"), or it was not sent ("user name is empty"). etcd's own client re-authenticates on these.
   */
  boolean isInvalidToken() {
    return isStaleTokenMessage(message)
        || (grpcCode == GatewayClient.UNAUTHENTICATED && !message.contains("authentication failed"));
  }

  /** The texts of etcd's errors that a new auth token cures (also seen as a watch's cancel reason). */
  static boolean isStaleTokenMessage(String message) {
    return message.contains("invalid auth token")
        || message.contains("revision of auth store is old")
        || message.contains("user name is empty");
  }

  /** Whether trying again later may succeed: etcd down, no leader, a timeout. */
  boolean isTransient() {
    return switch (grpcCode) {
      // RESOURCE_EXHAUSTED: "etcdserver: too many requests", a busy etcd.
      case GatewayClient.UNAVAILABLE, GatewayClient.DEADLINE_EXCEEDED, GatewayClient.CANCELLED,
          GatewayClient.ABORTED, GatewayClient.RESOURCE_EXHAUSTED -> true;
      // No gRPC code: a proxy or an etcd in trouble answered, not etcd's API.
      case -1 -> httpStatus == 502 || httpStatus == 503 || httpStatus == 504;
      default -> false;
    };
  }

  /** Whether the request itself is refused, so that retrying cannot help (used for watches). */
  boolean isRefusal() {
    return grpcCode == GatewayClient.INVALID_ARGUMENT || grpcCode == GatewayClient.UNIMPLEMENTED
        || grpcCode == GatewayClient.OUT_OF_RANGE || (grpcCode < 0 && httpStatus == 404);
  }

  /** Returns the store exception for a call described by {@code what}, answered by {@code endpoint}. */
  StoreException toException(String what, URI endpoint) {
    if (grpcCode < 0 && httpStatus == 404) {
      return new NoGatewayException(what + ": " + endpoint + " does not serve etcd's v3 JSON gateway ("
          + GatewayClient.API + "; etcd before 3.4, or started with --enable-grpc-gateway=false): "
          + "use the gRPC transport (EtcdOptions.Transport.GRPC, agent flag --etcd-transport=grpc)");
    }
    String text = describe();
    return isTransient()
        ? new StoreUnavailableException(what + ": etcd unavailable: " + text)
        : new StoreException(what + ": " + text);
  }

  /** etcd does not serve the gateway at all: no retry can help. */
  static final class NoGatewayException extends StoreException {
    private static final long serialVersionUID = 1L;

    NoGatewayException(String message) {
      super(message);
    }
  }

  /** A one-line description, e.g. {@code INVALID_ARGUMENT etcdserver: ... (HTTP 400)}. */
  String describe() {
    String code = grpcCode >= 0 ? codeName(grpcCode) + " " : "";
    return code + message + " (HTTP " + httpStatus + ")";
  }

  private static String codeName(int code) {
    return switch (code) {
      case 0 -> "OK";
      case 1 -> "CANCELLED";
      case 2 -> "UNKNOWN";
      case 3 -> "INVALID_ARGUMENT";
      case 4 -> "DEADLINE_EXCEEDED";
      case 5 -> "NOT_FOUND";
      case 6 -> "ALREADY_EXISTS";
      case 7 -> "PERMISSION_DENIED";
      case 8 -> "RESOURCE_EXHAUSTED";
      case 9 -> "FAILED_PRECONDITION";
      case 10 -> "ABORTED";
      case 11 -> "OUT_OF_RANGE";
      case 12 -> "UNIMPLEMENTED";
      case 13 -> "INTERNAL";
      case 14 -> "UNAVAILABLE";
      case 15 -> "DATA_LOSS";
      case 16 -> "UNAUTHENTICATED";
      default -> "code " + code;
    };
  }

  private static int intField(JsonObject o, String name, int otherwise) {
    JsonElement e = o.get(name);
    if (e == null || !e.isJsonPrimitive()) {
      return otherwise;
    }
    try {
      return e.getAsInt();
    } catch (NumberFormatException ex) {
      return otherwise;
    }
  }

  private static String stringField(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
  }
}
