package io.overlaynet.netlink.testing;

import io.overlaynet.netlink.NetNs;
import io.overlaynet.netlink.NetlinkException;
import io.overlaynet.netlink.NetlinkHandle;
import io.overlaynet.testing.Prerequisites;
import java.lang.reflect.Method;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.InvocationInterceptor;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.ReflectiveInvocationContext;

/**
 * Runs each test in a fresh network namespace, on a dedicated platform thread that entered it:
 * the test body, its {@code @BeforeEach} and {@code @AfterEach} methods all run inside, so
 * {@link NetlinkHandle#open()} and child processes ({@code ip ...}) see only the test's
 * namespace. The namespace is named ({@code ovt-<random>}, under {@code /run/netns}) so
 * {@code ip -n NAME} works too; loopback is up; everything is deleted after the test.
 * Tests must be run as root: otherwise they fail (they skip only under
 * {@code OVERLAYNET_ALLOW_SKIP=true}, see {@link Prerequisites}).
 *
 * <pre>{@code
 * @Tag("privileged")
 * @ExtendWith(FreshNetNsExtension.class)
 * class LinkIT {
 *   @Test
 *   void createsBridge(NetNs ns) throws Exception {
 *     try (NetlinkHandle h = NetlinkHandle.open()) { ... }   // inside ns
 *   }
 * }
 * }</pre>
 */
public final class FreshNetNsExtension
    implements BeforeEachCallback, AfterEachCallback, InvocationInterceptor, ParameterResolver {

  private static final ExtensionContext.Namespace STORE = ExtensionContext.Namespace.create(FreshNetNsExtension.class);

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    Prerequisites.requireRoot();
    Prerequisites.require(io.overlaynet.netlink.Netlink.isAvailable(), "rtnetlink",
        "a Linux kernel with netlink: " + io.overlaynet.netlink.Netlink.unavailabilityCause());
    String name = "ovt-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    NetNs ns = NetNs.create(name);
    context.getStore(STORE).put(NetNs.class, ns);
    try (NetlinkHandle h = NetlinkHandle.openIn(ns)) {
      h.linkSetUp(h.linkByName("lo").index());
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    NetNs ns = context.getStore(STORE).remove(NetNs.class, NetNs.class);
    if (ns != null) {
      ns.delete();
    }
  }

  /** Returns the namespace of the running test (for {@code ip -n}). */
  @Override
  public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
    return pc.getParameter().getType() == NetNs.class;
  }

  @Override
  public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
    return ec.getStore(STORE).get(NetNs.class, NetNs.class);
  }

  @Override
  public void interceptTestMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
      ExtensionContext ec) throws Throwable {
    runInside(invocation, ec);
  }

  @Override
  public void interceptBeforeEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
      ExtensionContext ec) throws Throwable {
    runInside(invocation, ec);
  }

  @Override
  public void interceptAfterEachMethod(Invocation<Void> invocation, ReflectiveInvocationContext<Method> ic,
      ExtensionContext ec) throws Throwable {
    runInside(invocation, ec);
  }

  private static void runInside(Invocation<Void> invocation, ExtensionContext ec) throws Throwable {
    NetNs ns = ec.getStore(STORE).get(NetNs.class, NetNs.class);
    if (ns == null) {
      invocation.proceed();
      return;
    }
    Throwable[] failure = new Throwable[1];
    try {
      ns.run(() -> {
        try {
          invocation.proceed();
        } catch (Throwable t) {
          failure[0] = t;
        }
        return null;
      });
    } catch (NetlinkException e) {
      throw new IllegalStateException("could not enter the test namespace " + ns, e);
    }
    if (failure[0] != null) {
      throw failure[0];
    }
  }
}
