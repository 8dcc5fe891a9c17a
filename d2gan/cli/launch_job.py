"""``python -m d2gan launch``: start the scheduler, servers and workers of a dist_sync job."""
import argparse

from .. import launch
from .values import HelpFormatter, positive_float, positive_int


def add_parser(sub):
    launch = sub.add_parser(
        'launch', help='run a command on the workers of a dist_sync job (scheduler, servers, '
                       'workers), locally or over ssh',
        formatter_class=HelpFormatter,
        description='python -m d2gan launch -n 2 -s 1 -- python -m d2gan train --kvstore '
                    'dist_sync ...  (see d2gan/launch.py)')
    launch.add_argument('-n', '--num-workers', type=positive_int, default=2)
    launch.add_argument('-s', '--num-servers', type=positive_int, default=1)
    launch.add_argument('--hosts', default=None,
                        help='hosts file (one host per line): start the job over ssh '
                             '(None: all processes on this machine, on 127.0.0.1)')
    launch.add_argument('--port', type=int, default=None,
                        help='scheduler port (None: a free one locally, 9091 with --hosts)')
    launch.add_argument('--timeout', type=positive_float, default=None,
                        help='stop the whole job after this many seconds')
    launch.add_argument('--threads', type=positive_int, default=None,
                        help='OMP threads per local worker (None: cores / workers)')
    launch.add_argument('worker_command', nargs=argparse.REMAINDER, metavar='-- COMMAND',
                        help='the command every worker runs')


def run(args):
    command = args.worker_command
    command = command[1:] if command[:1] == ['--'] else command
    return launch.launch(command, args.num_workers, args.num_servers, hosts=args.hosts,
                         port=args.port, timeout=args.timeout, threads=args.threads)
