package io.overlaynet.testing;

import io.overlaynet.LeaseAttrs;
import io.overlaynet.SubnetManager;
import io.overlaynet.ip.Ip4;
import io.overlaynet.ip.Ip4Net;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

/**
 * Starts one acquirer thread per subnet manager, releases them together, and collects what they
 * got: the allocation race flannel loses (it exits) and overlaynet must win.
 */
public final class ConcurrentAcquire {

  /** The subnets acquired and the errors raised. */
  public record Result(List<Ip4Net> subnets, List<Throwable> errors) {}

  private ConcurrentAcquire() {}

  /** Node {@code i} acquires with public IP 192.0.2.(i+1); waits at most {@code timeoutMillis} per thread. */
  public static Result run(List<SubnetManager> managers, long timeoutMillis) throws InterruptedException {
    List<Ip4Net> got = new CopyOnWriteArrayList<>();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < managers.size(); i++) {
      SubnetManager sm = managers.get(i);
      LeaseAttrs attrs = LeaseAttrs.of(Ip4.parse("192.0.2.0").plus(i + 1));
      Thread t = new Thread(() -> {
        try {
          go.await();
          got.add(sm.acquireLease(attrs).subnet());
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      t.start();
      threads.add(t);
    }
    go.countDown();
    for (Thread t : threads) {
      t.join(timeoutMillis);
    }
    return new Result(List.copyOf(got), List.copyOf(errors));
  }
}
