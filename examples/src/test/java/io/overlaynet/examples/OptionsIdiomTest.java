package io.overlaynet.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.overlaynet.SubnetManagerOptions;
import io.overlaynet.agent.AgentOptions;
import io.overlaynet.etcd.EtcdOptions;
import io.overlaynet.hostgw.HostGwOptions;
import io.overlaynet.netlink.SubscribeOptions;
import io.overlaynet.netlink.TunOptions;
import io.overlaynet.traffic.TrafficOptions;
import io.overlaynet.udp.UdpOptions;
import io.overlaynet.vxlan.VxlanOptions;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every options type of the SDK speaks one idiom (docs/design-notes.md): {@code DEFAULT},
 * {@code builder()}, {@code toBuilder()}, copies with {@code withX}, and a builder with the same
 * setter names.
 */
class OptionsIdiomTest {

  static final List<Class<?>> OPTIONS = List.of(AgentOptions.class, SubnetManagerOptions.class, TrafficOptions.class,
      EtcdOptions.class, UdpOptions.class, VxlanOptions.class, HostGwOptions.class, TunOptions.class,
      SubscribeOptions.class);

  @Test
  void everyOptionsTypeHasDefaultBuilderAndToBuilder() throws Exception {
    for (Class<?> c : OPTIONS) {
      Object defaults = c.getField("DEFAULT").get(null);
      assertNotNull(defaults, c.getSimpleName());
      Object built = call(c.getMethod("builder").invoke(null), "build");
      assertEquals(defaults.toString(), built.toString(), c.getSimpleName() + ": builder() starts from DEFAULT");
      Object again = call(c.getMethod("toBuilder").invoke(defaults), "build");
      assertEquals(defaults.toString(), again.toString(), c.getSimpleName() + ": toBuilder() keeps every value");
      Class<?> builder = c.getMethod("builder").getReturnType();
      for (Method m : c.getMethods()) {
        if (m.getName().startsWith("with") && m.getReturnType() == c) {
          assertNotNull(builder.getMethod(m.getName(), m.getParameterTypes()),
              c.getSimpleName() + "." + m.getName() + " has no builder setter of that name");
        }
      }
    }
  }

  @Test
  void toBuilderKeepsChangedValues() {
    AgentOptions a = AgentOptions.DEFAULT.withIpMasq(true).withConfigRetry(Duration.ofMillis(250));
    assertEquals(a.toString(), a.toBuilder().build().toString());
    UdpOptions u = UdpOptions.DEFAULT.withQueues(2).withCheckInterval(Duration.ofSeconds(3));
    assertEquals(2, u.toBuilder().build().queues());
    assertEquals(Duration.ofSeconds(3), u.toBuilder().withBatchSize(8).build().checkInterval());
  }

  private static Object call(Object target, String method) throws Exception {
    return target.getClass().getMethod(method).invoke(target);
  }
}
