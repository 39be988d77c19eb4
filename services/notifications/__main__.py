from runtime.service import serve
from services.notifications.bootstrap import definition

serve(definition())
