"""The end of every ``train`` command: progress, sample grids, the loop, the checkpoint path."""
import os

from .train import ProgressPrinter, SampleSaver, train_gan


def run_training(args, step, data, checkpoint, num_samples=64, nrow=8, parallel=None):
    """``train_gan`` with a progress printer and a :class:`~SampleSaver` writing
    ``num_samples`` images (``nrow`` per row) to ``<out>/samples`` after each epoch; resumes
    when ``args.resume``. With a :class:`~Parallel`, only the root
    worker prints, saves samples and writes the checkpoint."""
    callbacks = [ProgressPrinter(),
                 SampleSaver(os.path.join(args.out, 'samples'), num_samples=num_samples,
                                   nrow=nrow)]
    extra = {}
    if parallel is not None:
        callbacks = parallel.root_only(callbacks)
        extra['write_checkpoint'] = parallel.is_root
    state = train_gan(step, data, args.epochs, callbacks=callbacks, checkpoint=checkpoint,
                            resume=args.resume, seed=args.seed, **extra)
    if state.iterations_this_run == 0 and state.epoch >= args.epochs:
        print(f'--resume: {checkpoint} has already trained {state.epoch} epoch(s), at least '
              f'--epochs {args.epochs}; nothing was trained (give a larger --epochs to continue)')
    else:
        print(f'checkpoint: {checkpoint}')
