package io.overlaynet.examples;

import java.util.logging.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Routes {@code java.util.logging} into the agent's log, for {@code --etcd-transport=grpc}: gRPC
 * (under jetcd) logs through JUL, whose own console handler would print two-line records in
 * another format and ignore {@code -v}. The http transport loads no gRPC and never calls this: it
 * does not load the bridge, and JUL keeps its defaults there.
 */
final class JulToSlf4j {

  private JulToSlf4j() {}

  /**
   * Replaces JUL's root handlers with SLF4J's bridge and sets JUL's root level to the agent's
   * level. The bridge only sees what JUL's level lets through: at JUL's default (INFO) {@code -v}
   * would show no gRPC detail, at ALL every FINE record would be built only to be dropped.
   */
  static void install() {
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    java.util.logging.Logger.getLogger("").setLevel(julLevel(LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)));
  }

  /**
   * Returns the most detailed JUL level whose records {@code slf4j} logs, by the bridge's mapping:
   * FINEST to TRACE, FINER and FINE to DEBUG, CONFIG and INFO to INFO, WARNING to WARN, SEVERE to
   * ERROR.
   */
  static Level julLevel(Logger slf4j) {
    if (slf4j.isTraceEnabled()) {
      return Level.ALL;
    }
    if (slf4j.isDebugEnabled()) {
      return Level.FINER;
    }
    if (slf4j.isInfoEnabled()) {
      return Level.CONFIG;
    }
    if (slf4j.isWarnEnabled()) {
      return Level.WARNING;
    }
    return slf4j.isErrorEnabled() ? Level.SEVERE : Level.OFF;
  }
}
