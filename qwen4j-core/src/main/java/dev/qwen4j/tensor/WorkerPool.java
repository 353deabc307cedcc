package dev.qwen4j.tensor;

import dev.qwen4j.tensor.Kernels.RangeTask;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed set of worker threads that split index ranges with the calling thread. Workers stay hot between calls:
 * after a job they spin for {@code spinNanos} watching for the next one (a decode step issues hundreds of products
 * in quick succession), then park, so an idle pool costs no CPU. Work is handed out in chunks from a shared
 * counter, so a thread slowed by another process on the machine simply takes fewer chunks.
 */
final class WorkerPool implements AutoCloseable {

    /** One call's work. A fresh object per call, so a worker that wakes late can never mix two calls' state. */
    private static final class Job {
        private static final VarHandle NEXT;
        private static final VarHandle DONE;

        static {
            try {
                NEXT = MethodHandles.lookup().findVarHandle(Job.class, "next", int.class);
                DONE = MethodHandles.lookup().findVarHandle(Job.class, "done", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final RangeTask task;
        final int total;
        final int chunk;
        final int chunks;
        volatile int next;
        volatile int done;
        volatile Throwable failure;

        Job(RangeTask task, int total, int chunk) {
            this.task = task;
            this.total = total;
            this.chunk = chunk;
            this.chunks = (total + chunk - 1) / chunk;
        }

        /** Takes chunks until none is left. */
        void work() {
            int c;
            while ((c = (int) NEXT.getAndAdd(this, 1)) < chunks) {
                try {
                    int from = c * chunk;
                    task.run(from, Math.min(total, from + chunk));
                } catch (Throwable t) {
                    failure = t;
                }
                DONE.getAndAdd(this, 1);
            }
        }

        boolean finished() {
            return done == chunks;
        }
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("qwen4j-kernel-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            Job seen = null;
            while (!closed) {
                Job job = current;
                if (job != seen) {
                    seen = job;
                    job.work();
                    continue;
                }
                if (!spinFor(seen)) {
                    parked = true;
                    if (current == seen && !closed) LockSupport.park(this);
                    parked = false;
                }
            }
        }

        /** Spins until a new job appears (true) or the spin budget runs out (false). */
        private boolean spinFor(Job seen) {
            long start = System.nanoTime();
            for (int i = 0; ; i++) {
                if (current != seen || closed) return true;
                Thread.onSpinWait();
                if ((i & 255) == 255 && System.nanoTime() - start > spinNanos) return false;
            }
        }
    }

    private final int threads;
    private final long spinNanos;
    private final Worker[] workers;
    private volatile Job current;
    private volatile boolean closed;

    /** A pool of {@code threads} threads in all, the caller included ({@code threads − 1} workers). */
    WorkerPool(int threads, long spinNanos) {
        this.threads = threads;
        this.spinNanos = spinNanos;
        this.workers = new Worker[threads - 1];
        this.current = new Job((a, b) -> { }, 0, 1);
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i + 1);
            workers[i].start();
        }
    }

    int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, total)} split into chunks of at least {@code grain} indices (a multiple of
     * {@code grain}), on all threads; returns when every chunk is done, rethrowing the first failure.
     */
    void run(int total, int grain, RangeTask task) {
        run(total, grain, 8, task);
    }

    /** {@link #run(int, int, RangeTask)} in about {@code perThread} chunks per thread. */
    void run(int total, int grain, int perThread, RangeTask task) {
        if (total <= 0) return;
        if (threads == 1 || total <= grain) {
            task.run(0, total);
            return;
        }
        // About 8 chunks per thread: fine enough to balance a noisy machine, coarse enough to keep counters cold.
        int chunk = Math.max(grain, (total + perThread * threads - 1) / (perThread * threads));
        chunk = (chunk + grain - 1) / grain * grain;
        Job job = new Job(task, total, chunk);
        current = job;
        for (Worker w : workers) {
            if (w.parked) LockSupport.unpark(w);
        }
        job.work();
        for (int i = 0; !job.finished(); i++) {
            if (i < 1 << 16) Thread.onSpinWait();
            else Thread.yield();
        }
        Throwable failure = job.failure;
        if (failure instanceof RuntimeException e) throw e;
        if (failure instanceof Error e) throw e;
        if (failure != null) throw new IllegalStateException(failure);
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w);
    }
}
