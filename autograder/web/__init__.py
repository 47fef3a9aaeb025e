"""`nlpgrade serve`: the course website (accounts, uploads, feedback, quizzes, instructor tools).

One concern per module: tables (the web's gradebook tables), accounts (users, passwords,
sign-in links), roster (CSV import), queue (uploads in the database), dispatch (the warm
worker pool that grades the queue), scoring (best/last rule and late penalties), security
(headers, CSRF, rate limits), and the Starlette app with its routes (app, student, staff, quiz).
"""
